from typing import Any

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class ConsoleConfig(AppConfig):
    """The label's admin console: dashboard, reports, staff groups, staff actions' pages."""

    default = True
    name = "console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_sync_groups, sender=self)


class ConsoleAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "console.sites.ConsoleAdminSite"


def _sync_groups(**kwargs: Any) -> None:
    # Listed last in INSTALLED_APPS: every app's permissions exist by the time this runs.
    from console.groups import staff_groups_sync

    staff_groups_sync(using=kwargs.get("using", "default"))
