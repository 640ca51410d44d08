from typing import Any

from django.core.management.base import BaseCommand

from trackpacks.demo import demo_catalog_freeze, demo_catalog_seed


class Command(BaseCommand):
    help = (
        "Creates the demo catalog (songs with media, two batches) unless songs exist, then "
        "freezes on IPFS the batches that can be."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_catalog_seed():
            self.stdout.write("Demo catalog created; the worker registers it on chain.")
        else:
            self.stdout.write("Catalog already present; nothing to do.")
        for batch in demo_catalog_freeze():
            self.stdout.write(
                f"Batch {batch.pk} frozen: ipfs://{batch.metadata_cid}/ "
                f"(served at /ipfs/{batch.metadata_cid}/ without Pinata)"
            )
