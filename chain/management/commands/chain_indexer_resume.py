from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chain.client import ChainNotConfigured, require_deployment
from chain.config import chain_settings
from chain.indexer import indexer_resume
from chain.selectors import indexer_cursor_get


class Command(BaseCommand):
    help = (
        "Resume a halted chain indexer. Check the halt reason first (shown here); run "
        "`chain_rebuild_check` after a deep reorg."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--accept-rewind",
            action="store_true",
            help="Let the next reorg check rewind past CHAIN_MAX_REORG_DEPTH (once).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            address = require_deployment().trackpacks.address
        except ChainNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        chain_id = chain_settings().chain_id
        cursor = indexer_cursor_get(chain_id=chain_id, address=address)
        if cursor is None or cursor.halted_at is None:
            self.stdout.write("The indexer is not halted.")
            return
        self.stdout.write(f"Halted at {cursor.halted_at.isoformat()}: {cursor.halt_reason}")
        indexer_resume(chain_id=chain_id, address=address, accept_rewind=options["accept_rewind"])
        self.stdout.write(
            "Resumed." + (" The next rewind is not bounded." if options["accept_rewind"] else "")
        )
