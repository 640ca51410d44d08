"""`manage.py verify_opening <opening id>` / `--request-id <n>`: recompute an opening's draw
from chain data alone and exit non-zero when anything disagrees."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trackpacks.models import Opening
from trackpacks.verification import VerificationError, request_verify_on_chain


class Command(BaseCommand):
    help = (
        "Recomputes a pack opening from the chain (BatchCreated pool, PackOpened word and "
        "songs, read over RPC) and compares it with the contract's result and our record. "
        "Exit status: 0 verified, 1 mismatch, 2 not found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("opening_id", nargs="?", type=int, help="Opening id (the API's).")
        parser.add_argument("--request-id", type=int, help="VRF request id (chain only).")

    def handle(self, *args: Any, **options: Any) -> None:
        recorded: list[int] | None = None
        if options["request_id"] is not None:
            request_id = int(options["request_id"])
            opening = Opening.objects.filter(request_id=request_id).first()
        elif options["opening_id"] is not None:
            opening = Opening.objects.filter(pk=options["opening_id"]).first()
            if opening is None or opening.request_id is None:
                raise CommandError("No such opening with a request on chain.", returncode=2)
            request_id = int(opening.request_id)
        else:
            raise CommandError("Give an opening id or --request-id.", returncode=2)
        try:
            result = request_verify_on_chain(request_id=request_id)
        except VerificationError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if opening is not None and opening.revealed_at is not None:
            recorded = list(
                opening.revealed.order_by("position").values_list("song__token_id", flat=True)
            )
            result.recorded = [int(t) for t in recorded]
        self._report(result)
        if not result.chain_matches:
            raise CommandError("MISMATCH: the contract's songs are not the draw of its word.")
        if not result.record_matches:
            raise CommandError("MISMATCH: the backend's record differs from the chain.")
        self.stdout.write(self.style.SUCCESS("VERIFIED"))

    def _report(self, result: Any) -> None:
        lines = [
            f"request id    {result.request_id}"
            + (f" (retried from {result.retried_from})" if result.retried_from else ""),
            f"batch         {result.batch_id}",
            f"pool          {list(zip(result.pool_song_ids, result.pool_weights, strict=True))}",
            f"random word   {result.random_word}",
            f"fulfilment tx {result.fulfilled_tx_hash}",
            f"on chain      {result.songs_on_chain}",
            f"recomputed    {result.recomputed}",
        ]
        if result.recorded is not None:
            lines.append(f"our record    {result.recorded}")
        self.stdout.write("\n".join(lines))
