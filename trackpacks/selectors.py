from django.db.models import Prefetch, QuerySet

from accounts.models import User
from trackpacks.models import (
    PACK_ID_OFFSET,
    Batch,
    Pack,
    PoolEntry,
    RevealedSong,
    Song,
    Withdrawal,
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


def token_metadata_subject(*, token_id: int) -> Song | Batch | None:
    if token_id >= PACK_ID_OFFSET:
        return Batch.objects.filter(pk=token_id - PACK_ID_OFFSET).first()
    return Song.objects.filter(token_id=token_id).first()


def user_addresses(*, user: User) -> dict[str, str]:
    """The user's chain addresses, lower-cased, mapped to their custody kind."""
    addresses = {}
    if user.wallet_address:
        addresses[user.wallet_address.lower()] = "self"
    custodial = getattr(user, "custodial_address", None)
    if custodial:
        addresses[custodial.lower()] = "custodial"
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


def withdrawal_list(*, user: User) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(user=user).select_related("song")
