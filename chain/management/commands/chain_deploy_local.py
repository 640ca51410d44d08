from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chain.config import chain_settings
from chain.deploy import deploy_local
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Deploy the mock VRF coordinator and TrackPacks on chain 31337; write the record."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Deploy even if the record is live."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        conf = chain_settings()
        if not conf.is_local:
            raise CommandError(f"Refusing: CHAIN_ID is {conf.chain_id}, not the local 31337.")
        try:
            deployment = deploy_local(force=options["force"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"TrackPacks {deployment.trackpacks.address} (block {deployment.trackpacks.block}); "
            f"record {conf.deployment_record}"
        )
