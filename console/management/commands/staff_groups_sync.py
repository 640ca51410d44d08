from typing import Any

from django.core.management.base import BaseCommand

from console.groups import STAFF_GROUPS, staff_groups_sync


class Command(BaseCommand):
    help = "Create or reset the staff groups (Label manager, Support) and their permissions."

    def handle(self, *args: Any, **options: Any) -> None:
        staff_groups_sync()
        for name, permissions in STAFF_GROUPS.items():
            self.stdout.write(f"{name}: {len(permissions)} permissions")
