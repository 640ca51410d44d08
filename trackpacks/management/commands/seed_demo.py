from typing import Any

from django.core.management.base import BaseCommand

from trackpacks.demo import demo_catalog_seed


class Command(BaseCommand):
    help = "Creates the demo catalog (songs and two batches) unless songs already exist."

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_catalog_seed():
            self.stdout.write("Demo catalog created; the worker registers it on chain.")
        else:
            self.stdout.write("Catalog already present; nothing to do.")
