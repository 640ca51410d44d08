"""Proof that an opening's songs are the draw of its VRF word over its batch's pool.

`opening_proof` reads what the backend recorded (public, for the proof endpoint);
`request_verify_on_chain` trusts nothing but the chain: it reads the `BatchCreated` and
`PackOpened` events over RPC and recomputes the draw (`manage.py verify_opening`)."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from core.errors import ApplicationError, Conflict
from trackpacks.draw import draw_songs
from trackpacks.models import Opening, PoolEntry


@dataclass(frozen=True)
class OpeningProof:
    opening_id: int
    pack_id: int
    batch_id: int
    request_id: int
    random_word: int
    pool_song_ids: list[int]
    pool_weights: list[int]
    requested_tx_hash: str
    fulfilled_tx_hash: str
    retries: list[dict[str, Any]]
    revealed: list[int]
    recomputed: list[int]

    @property
    def matches(self) -> bool:
        return self.revealed == self.recomputed


def _pool_as_created(*, batch_id: int) -> tuple[list[int], list[int]]:
    """The pool the draw used: the indexed `BatchCreated` event (what the contract holds),
    else our registration of it (createBatch is sent in token id order)."""
    from chain.models import ChainEvent

    created = (
        ChainEvent.objects.filter(event_name="BatchCreated", args__batchId=str(batch_id))
        .order_by("-block_number")
        .first()
    )
    if created is not None:
        return (
            [int(song) for song in created.args["songIds"]],
            [int(weight) for weight in created.args["weights"]],
        )
    pool = PoolEntry.objects.filter(batch_id=batch_id).order_by("song__token_id")
    rows = list(pool.values_list("song__token_id", "weight"))
    return [int(song) for song, _ in rows], [int(weight) for _, weight in rows]


def opening_proof(*, opening_id: int) -> OpeningProof:
    opening = Opening.objects.select_related("pack").filter(pk=opening_id).first()
    if opening is None:
        raise ApplicationError("Opening not found.", code="not_found", status_code=404)
    if opening.revealed_at is None or opening.random_word is None or opening.request_id is None:
        raise Conflict("This opening has not been revealed yet.", code="opening_not_revealed")
    song_ids, weights = _pool_as_created(batch_id=opening.pack.batch_id)
    revealed = list(opening.revealed.order_by("position").values_list("song__token_id", flat=True))
    return OpeningProof(
        opening_id=opening.pk,
        pack_id=opening.pack_id,
        batch_id=opening.pack.batch_id,
        request_id=int(opening.request_id),
        random_word=int(opening.random_word),
        pool_song_ids=song_ids,
        pool_weights=weights,
        requested_tx_hash=opening.requested_tx_hash,
        fulfilled_tx_hash=opening.fulfilled_tx_hash,
        retries=list(opening.retries),
        revealed=[int(t) for t in revealed],
        recomputed=draw_songs(word=int(opening.random_word), song_ids=song_ids, weights=weights),
    )


@dataclass
class ChainVerification:
    request_id: int
    batch_id: int
    random_word: int
    pool_song_ids: list[int]
    pool_weights: list[int]
    songs_on_chain: list[int]
    recomputed: list[int]
    fulfilled_tx_hash: str
    retried_from: list[int] = field(default_factory=list)
    recorded: list[int] | None = None  # what the backend shows, when it knows the opening

    @property
    def chain_matches(self) -> bool:
        return self.songs_on_chain == self.recomputed

    @property
    def record_matches(self) -> bool:
        return self.recorded is None or self.recorded == self.songs_on_chain


class VerificationError(Exception):
    """The chain has no such opening (yet)."""


def _event_logs(event: Any, *, argument_filters: dict[str, Any]) -> list[Any]:
    """Every log of `event` matching the indexed arguments, from the deployment block to the
    head, in bounded ranges (RPC nodes limit eth_getLogs ranges)."""
    from chain.client import get_web3, require_deployment

    start = require_deployment().trackpacks.block
    head = get_web3().eth.block_number
    step = max(1, int(settings.CHAIN_INDEXER_RANGE))
    logs: list[Any] = []
    while start <= head:
        end = min(start + step - 1, head)
        logs += event.get_logs(argument_filters=argument_filters, from_block=start, to_block=end)
        start = end + 1
    return logs


def request_verify_on_chain(*, request_id: int) -> ChainVerification:
    """Recomputes an opening from chain events alone. A request id that was retried is
    followed to the request that was fulfilled (`PackOpenRetried`)."""
    from chain.client import trackpacks_contract

    events = trackpacks_contract().events
    followed: list[int] = []
    current = request_id
    while True:
        opened = _event_logs(events.PackOpened(), argument_filters={"requestId": current})
        if opened:
            break
        retried = _event_logs(events.PackOpenRetried(), argument_filters={"oldRequestId": current})
        if not retried or len(followed) > 16:
            raise VerificationError(f"No PackOpened event for request {request_id} on chain.")
        followed.append(current)
        current = int(retried[0]["args"]["newRequestId"])
    args = opened[0]["args"]
    batch_id = int(args["batchId"])
    created = _event_logs(events.BatchCreated(), argument_filters={"batchId": batch_id})
    if not created:
        raise VerificationError(f"No BatchCreated event for batch {batch_id} on chain.")
    pool_ids = [int(s) for s in created[0]["args"]["songIds"]]
    weights = [int(w) for w in created[0]["args"]["weights"]]
    word = int(args["randomWord"])
    return ChainVerification(
        request_id=current,
        batch_id=batch_id,
        random_word=word,
        pool_song_ids=pool_ids,
        pool_weights=weights,
        songs_on_chain=[int(s) for s in args["songIds"]],
        recomputed=draw_songs(word=word, song_ids=pool_ids, weights=weights),
        fulfilled_tx_hash=opened[0]["transactionHash"].to_0x_hex(),
        retried_from=followed,
    )
