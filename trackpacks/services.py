"""Writes for the catalog and packs. Anything that must happen on chain is written to the
outbox in the same database transaction as the change that needs it."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from chain.outbox import chain_tx_enqueue
from chain.selectors import token_balance_of
from chain.wallet_calls import contract_address, encode_call
from core.errors import ApplicationError, Conflict
from trackpacks.models import (
    DEFAULT_RARITY_WEIGHT,
    MAX_POOL_SIZE,
    RARITY_TIER,
    SONGS_PER_PACK,
    Batch,
    ChainStatus,
    Custody,
    Opening,
    Pack,
    PackStatus,
    PoolEntry,
    RevealedSong,
    Song,
    Withdrawal,
    WithdrawalStatus,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def song_create(
    *,
    token_id: int,
    title: str,
    artist: str,
    rarity: str,
    image_url: str,
    audio_url: str,
    description: str = "",
) -> Song:
    song = Song.objects.create(
        token_id=token_id,
        title=title,
        artist=artist,
        rarity=rarity,
        image_url=image_url,
        audio_url=audio_url,
        description=description,
    )
    song_register_on_chain(song=song)
    return song


def song_register_on_chain(*, song: Song) -> None:
    chain_tx_enqueue(
        sender_role="admin",
        function="registerSong",
        args=[song.token_id, RARITY_TIER[song.rarity]],  # type: ignore[index]
        reference=f"song:{song.token_id}:register",
    )


@dataclass(frozen=True)
class PoolItem:
    song: Song
    weight: int | None = None  # None: the default weight of the song's rarity


@transaction.atomic
def batch_create(
    *,
    name: str,
    price_cents: int,
    price_wei: int,
    supply: int,
    pool: Sequence[PoolItem],
    currency: str = "usd",
    description: str = "",
    sale_open: bool = True,
) -> Batch:
    if not 1 <= len(pool) <= MAX_POOL_SIZE:
        raise ApplicationError(
            f"A batch pool holds 1 to {MAX_POOL_SIZE} songs.", code="invalid_pool"
        )
    if len({item.song.pk for item in pool}) != len(pool):
        raise ApplicationError("A song appears twice in the pool.", code="invalid_pool")
    batch = Batch.objects.create(
        name=name,
        description=description,
        price_cents=price_cents,
        currency=currency.lower(),
        price_wei=price_wei,
        supply=supply,
        available=supply,
        sale_open=sale_open,
    )
    PoolEntry.objects.bulk_create(
        PoolEntry(
            batch=batch,
            song=item.song,
            weight=item.weight or DEFAULT_RARITY_WEIGHT[item.song.rarity],  # type: ignore[index]
        )
        for item in pool
    )
    batch_register_on_chain(batch=batch)
    return batch


def batch_register_on_chain(*, batch: Batch) -> None:
    entries = list(batch.pool.select_related("song").order_by("song__token_id"))
    chain_tx_enqueue(
        sender_role="admin",
        function="createBatch",
        args=[
            batch.pk,
            int(batch.price_wei),
            batch.supply,
            batch.sale_open,
            [entry.song.token_id for entry in entries],
            [entry.weight for entry in entries],
        ],
        reference=f"batch:{batch.pk}:create",
    )


def packs_issue(
    *, owner: User, batch: Batch, quantity: int, custody: str, holder_address: str, order: Any
) -> list[Pack]:
    return Pack.objects.bulk_create(
        Pack(
            owner=owner,
            batch=batch,
            order=order,
            custody=custody,
            holder_address=holder_address,
        )
        for _ in range(quantity)
    )


@dataclass(frozen=True)
class OpenResult:
    pack: Pack
    # For self-custody packs: the call the fan's wallet must send. None for custodial packs.
    wallet_call: dict[str, Any] | None


@transaction.atomic
def pack_open(*, user: User, pack_id: int) -> OpenResult:
    pack = (
        Pack.objects.select_for_update()
        .select_related("batch")
        .filter(pk=pack_id, owner=user)
        .first()
    )
    if pack is None:
        raise ApplicationError("Pack not found.", code="not_found", status_code=404)
    if pack.status != PackStatus.UNOPENED:
        raise Conflict(f"This pack is {pack.status}; a pack opens once.", code="pack_not_unopened")
    pack.status = PackStatus.OPENING
    pack.save(update_fields=["status", "updated_at"])
    opening = Opening.objects.create(pack=pack)
    if pack.custody == Custody.CUSTODIAL:
        chain_tx_enqueue(
            sender_role="operator",
            function="openPackFor",
            args=[pack.holder_address, pack.batch_id],
            # Per opening: if this transaction fails, a later open sends a new one.
            reference=f"pack:{pack.pk}:open:{opening.pk}",
        )
        return OpenResult(pack=pack, wallet_call=None)
    return OpenResult(
        pack=pack,
        wallet_call={
            "to": contract_address(),
            "data": encode_call("openPack", [pack.batch_id]),
            "value_wei": "0",
            "function": "openPack",
        },
    )


def _pack_for_open_request(*, holder: str, batch_id: int) -> Pack | None:
    """The pack an on-chain open request stands for: one the owner asked the API to open,
    else any unopened pack of that holder (opened straight from the wallet)."""
    candidates = Pack.objects.select_for_update(of=("self",)).filter(
        holder_address__iexact=holder, batch_id=batch_id
    )
    return (
        candidates.filter(status=PackStatus.OPENING, opening__request_id__isnull=True)
        .order_by("opening__created_at", "pk")
        .first()
    ) or candidates.filter(status=PackStatus.UNOPENED).order_by("pk").first()


def pack_open_requested(*, request_id: int, holder: str, batch_id: int, tx_hash: str) -> None:
    if Opening.objects.filter(request_id=request_id).exists():
        return
    pack = _pack_for_open_request(holder=holder, batch_id=batch_id)
    if pack is None:
        logger.warning(
            "Open request %s for unknown pack of %s in batch %s", request_id, holder, batch_id
        )
        return
    if pack.status == PackStatus.UNOPENED:
        pack.status = PackStatus.OPENING
        pack.save(update_fields=["status", "updated_at"])
        Opening.objects.create(pack=pack, request_id=request_id, requested_tx_hash=tx_hash)
        return
    Opening.objects.filter(pack=pack).update(request_id=request_id, requested_tx_hash=tx_hash)


def pack_open_fulfilled(*, request_id: int, song_token_ids: Sequence[int]) -> None:
    opening = (
        Opening.objects.select_for_update()
        .select_related("pack")
        .filter(request_id=request_id)
        .first()
    )
    if opening is None:
        logger.warning("Fulfilment for unknown open request %s", request_id)
        return
    if opening.revealed_at is not None:
        return
    songs = Song.objects.in_bulk(song_token_ids, field_name="token_id")
    RevealedSong.objects.bulk_create(
        RevealedSong(opening=opening, song=songs[token_id], position=position)
        for position, token_id in enumerate(song_token_ids[:SONGS_PER_PACK])
    )
    opening.revealed_at = timezone.now()
    opening.save(update_fields=["revealed_at", "updated_at"])
    Pack.objects.filter(pk=opening.pack_id).update(
        status=PackStatus.OPENED, updated_at=timezone.now()
    )


def pack_open_reverted(*, request_id: int) -> None:
    """A reorg took back an open request: the pack is unopened again (or opening, if the
    owner asked through the API and the custodial transaction will be sent again)."""
    opening = Opening.objects.select_related("pack").filter(request_id=request_id).first()
    if opening is None:
        return
    pack = opening.pack
    opening.revealed.all().delete()
    opening.delete()
    pack.status = PackStatus.UNOPENED
    pack.save(update_fields=["status", "updated_at"])


def pack_open_fulfilment_reverted(*, request_id: int) -> None:
    opening = Opening.objects.filter(request_id=request_id).first()
    if opening is None:
        return
    opening.revealed.all().delete()
    Opening.objects.filter(pk=opening.pk).update(revealed_at=None)
    Pack.objects.filter(pk=opening.pack_id).update(status=PackStatus.OPENING)


def chain_status_set(*, rows: "QuerySet[Song] | QuerySet[Batch]", confirmed: bool) -> None:
    """Records the outcome of a song's or batch's on-chain registration."""
    rows.update(chain_status=ChainStatus.REGISTERED if confirmed else ChainStatus.FAILED)


def batch_release_inventory(*, batch_id: int, quantity: int) -> None:
    Batch.objects.filter(pk=batch_id).update(available=F("available") + quantity)


@transaction.atomic
def withdrawal_create(*, user: User, token_id: int, amount: int) -> Withdrawal:
    """Moves custodial songs to the user's linked wallet. The user row is locked first, so
    concurrent withdrawals of one user are checked one after another against the balance
    minus what is already on its way."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.wallet_address:
        raise ApplicationError("Link a wallet (SIWE) to withdraw to.", code="wallet_required")
    song = Song.objects.filter(token_id=token_id).first()
    if song is None or not locked.custodial_address:
        raise ApplicationError("You hold no such song in custody.", code="insufficient_balance")
    held = token_balance_of(address=locked.custodial_address, token_id=token_id)
    on_the_way = (
        Withdrawal.objects.filter(user=locked, song=song, status=WithdrawalStatus.PENDING)
        .aggregate(total=Sum("amount"))
        .get("total")
        or 0
    )
    available = held - on_the_way
    if amount > available:
        raise ApplicationError(
            "Not enough of this song in custody.",
            code="insufficient_balance",
            details={"available": max(available, 0)},
        )
    withdrawal = Withdrawal.objects.create(
        user=locked,
        song=song,
        amount=amount,
        from_address=locked.custodial_address,
        to_address=locked.wallet_address,
    )
    chain_tx_enqueue(
        sender_role="operator",
        function="withdrawFor",
        args=[withdrawal.from_address, withdrawal.to_address, token_id, amount],
        reference=f"withdrawal:{withdrawal.pk}",
    )
    return withdrawal


def withdrawal_completed(*, withdrawal_id: int, tx_hash: str) -> None:
    Withdrawal.objects.filter(pk=withdrawal_id, status=WithdrawalStatus.PENDING).update(
        status=WithdrawalStatus.COMPLETED, tx_hash=tx_hash, updated_at=timezone.now()
    )


def withdrawal_completion_reverted(*, withdrawal_id: int) -> None:
    Withdrawal.objects.filter(pk=withdrawal_id, status=WithdrawalStatus.COMPLETED).update(
        status=WithdrawalStatus.PENDING, tx_hash="", updated_at=timezone.now()
    )


def withdrawal_failed(*, withdrawal_id: int, reason: str) -> None:
    Withdrawal.objects.filter(pk=withdrawal_id, status=WithdrawalStatus.PENDING).update(
        status=WithdrawalStatus.FAILED, failure_reason=reason[:300], updated_at=timezone.now()
    )
