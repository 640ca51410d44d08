from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chain.client import ChainNotConfigured, get_web3, require_deployment
from chain.config import chain_settings
from chain.rebuild import chain_replay, rebuild_differences
from chain.selectors import indexer_cursor_get


class Command(BaseCommand):
    help = (
        "Rebuild events, balances, order packs and openings from the chain's logs (from the "
        "deployment block to the indexer's cursor) in memory and report every difference from "
        "the live database. Writes nothing; exits non-zero when anything differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to-block", type=int, help="Compare up to this block (default: the cursor)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            deployment = require_deployment()
        except ChainNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        conf = chain_settings()
        address = deployment.trackpacks.address
        cursor = indexer_cursor_get(chain_id=conf.chain_id, address=address)
        to_block = options["to_block"]
        if to_block is None:
            if cursor is None:
                raise CommandError("The indexer has not run yet: nothing to compare.")
            to_block = cursor.last_block
        replay = chain_replay(
            w3=get_web3(),
            address=address,
            from_block=deployment.trackpacks.block,
            to_block=to_block,
            range_size=int(settings.CHAIN_INDEXER_RANGE),
        )
        differences = rebuild_differences(replay=replay, chain_id=conf.chain_id)
        for line in differences:
            self.stdout.write(line)
        summary = (
            f"{len(replay.events)} events from block {deployment.trackpacks.block} "
            f"to {to_block}: {len(differences)} difference(s)"
        )
        if differences:
            raise CommandError(summary)
        self.stdout.write(summary)
