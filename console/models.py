"""No tables of its own: present so that post_migrate fires for the console (staff groups)."""
