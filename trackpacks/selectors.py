from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from payments.models import FROZEN_DISPUTES, OrderStatus, PaymentMethod
from trackpacks.models import (
    PACK_ID_OFFSET,
    Batch,
    Custody,
    Opening,
    Pack,
    PackStatus,
    PoolEntry,
    RevealedSong,
    Song,
    Withdrawal,
)


def card_songs_locked(*, user: User, token_id: int) -> int:
    """How many custodial copies of a song came from card orders that may still be charged
    back: paid within CARD_WITHDRAWAL_HOLD_HOURS, disputed, refunded or under review. Those
    copies stay in custody (stolen card -> open -> withdraw -> sell -> chargeback)."""
    hold_start = timezone.now() - timedelta(hours=settings.CARD_WITHDRAWAL_HOLD_HOURS)
    at_risk = (
        Q(opening__pack__order__paid_at__isnull=True)
        | Q(opening__pack__order__paid_at__gt=hold_start)
        | Q(opening__pack__order__status__in=(OrderStatus.REFUNDED, OrderStatus.REVIEW))
        | Q(opening__pack__order__dispute_status__in=FROZEN_DISPUTES)
    )
    return (
        RevealedSong.objects.filter(
            song__token_id=token_id,
            opening__pack__owner=user,
            opening__pack__custody=Custody.CUSTODIAL,
            opening__pack__order__method=PaymentMethod.CARD,
        )
        .filter(at_risk)
        .count()
    )


def song_list() -> QuerySet[Song]:
    return Song.objects.all()


def batch_list() -> QuerySet[Batch]:
    return Batch.objects.prefetch_related(
        Prefetch(
            "pool", queryset=PoolEntry.objects.select_related("song").order_by("song__token_id")
        )
    )


def pack_list(*, user: User) -> QuerySet[Pack]:
    return (
        Pack.objects.filter(owner=user)
        .select_related("batch", "opening")
        .prefetch_related(
            Prefetch(
                "opening__revealed",
                queryset=RevealedSong.objects.select_related("song").order_by("position"),
            )
        )
    )


# --- List rows as plain dicts (`.values()`): the list endpoints serialize these directly, which
# is 2-3x cheaper than building model instances and running a ModelSerializer per row.
# The shape they produce is pinned to the serializers' by tests/trackpacks/test_list_rows.py.

SONG_ROW_FIELDS = (
    "id",
    "token_id",
    "title",
    "artist",
    "rarity",
    "description",
    "image_url",
    "audio_url",
)
NESTED_SONG_FIELDS = tuple(f"song__{name}" for name in SONG_ROW_FIELDS)


def song_rows() -> QuerySet[Song, Any]:
    rows: QuerySet[Song, Any] = Song.objects.values(*SONG_ROW_FIELDS)
    return rows


def batch_rows() -> QuerySet[Batch, Any]:
    return Batch.objects.values(
        "id",
        "name",
        "description",
        "price_cents",
        "currency",
        "price_wei",
        "supply",
        "available",
        "sale_open",
        "chain_status",
        "created_at",
    )


# Nested rows are plain tuples (`values_list`): a page of batches carries 160 pool songs, and
# building a dict per row was a measurable share of the request.
SongColumns = tuple[Any, ...]  # the SONG_ROW_FIELDS values, in that order


def pool_rows_by_batch(*, batch_ids: Iterable[int]) -> dict[int, list[tuple[int, SongColumns]]]:
    """(weight, song columns) of each batch's pool, by song token id; 1 query."""
    pools: dict[int, list[tuple[int, SongColumns]]] = {batch_id: [] for batch_id in batch_ids}
    if pools:
        entries = (
            PoolEntry.objects.filter(batch_id__in=list(pools))
            .order_by("song__token_id")
            .values_list("batch_id", "weight", *NESTED_SONG_FIELDS)
        )
        for batch_id, weight, *song in entries:
            pools[batch_id].append((weight, tuple(song)))
    return pools


def pack_rows(*, user: User) -> QuerySet[Pack, Any]:
    # The opening is a one-to-one reverse relation: the LEFT JOIN adds no rows.
    return Pack.objects.filter(owner_id=user.pk).values(
        "id",
        "batch_id",
        "batch__name",
        "order_id",
        "custody",
        "holder_address",
        "status",
        "open_intent_expires_at",
        "created_at",
        "opening__id",
        "opening__request_id",
        "opening__requested_at",
        "opening__revealed_at",
    )


def revealed_song_rows_by_opening(*, opening_ids: Iterable[int]) -> dict[int, list[SongColumns]]:
    """The revealed songs' columns of each opening, in draw order; 1 query or none."""
    revealed: dict[int, list[SongColumns]] = {opening_id: [] for opening_id in opening_ids}
    if revealed:
        rows = (
            RevealedSong.objects.filter(opening_id__in=list(revealed))
            .order_by("opening_id", "position")
            .values_list("opening_id", *NESTED_SONG_FIELDS)
        )
        for opening_id, *song in rows:
            revealed[opening_id].append(tuple(song))
    return revealed


def token_metadata_subject(*, token_id: int) -> Song | Batch | None:
    if token_id >= PACK_ID_OFFSET:
        return Batch.objects.filter(pk=token_id - PACK_ID_OFFSET).first()
    return Song.objects.filter(token_id=token_id).first()


def user_addresses(*, user: User) -> dict[str, str]:
    """The user's chain addresses, lower-cased, mapped to their custody kind."""
    addresses = {}
    if user.wallet_address:
        addresses[user.wallet_address.lower()] = "self"
    if user.custodial_address:
        addresses[user.custodial_address.lower()] = "custodial"
    return addresses


def collection_for(*, user: User) -> list[dict[str, object]]:
    """The user's song NFTs as indexed from the chain: one row per (address, song)."""
    from chain.selectors import token_balances_for

    addresses = user_addresses(user=user)
    if not addresses:
        return []
    balances = [
        b
        for b in token_balances_for(addresses=list(addresses))
        if b.balance > 0 and b.token_id < PACK_ID_OFFSET
    ]
    songs = Song.objects.in_bulk([int(b.token_id) for b in balances], field_name="token_id")
    return [
        {
            "song": songs[int(b.token_id)],
            "token_id": int(b.token_id),
            "balance": int(b.balance),
            "custody": addresses[b.address.lower()],
            "address": b.address,
        }
        for b in balances
        if int(b.token_id) in songs
    ]


def openings_stuck() -> QuerySet[Opening]:
    """Openings still waiting for randomness after CHAIN_OPEN_RETRY_AFTER_SECONDS, oldest first."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    due = timezone.now() - timedelta(seconds=settings.CHAIN_OPEN_RETRY_AFTER_SECONDS)
    return (
        Opening.objects.select_related("pack")
        .filter(
            pack__status=PackStatus.OPENING,
            request_id__isnull=False,
            revealed_at__isnull=True,
            requested_at__lte=due,
        )
        .order_by("requested_at")
    )


def openings_stuck_count() -> int:
    return openings_stuck().count()


def withdrawal_list(*, user: User) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(user=user).select_related("song")
