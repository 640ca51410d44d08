"""Writes for the catalog and packs. Anything that must happen on chain is written to the
outbox in the same database transaction as the change that needs it."""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from chain.custody import operation_ref
from chain.models import ChainTransaction
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
from trackpacks.selectors import card_songs_locked, openings_stuck

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


@transaction.atomic
def song_update(
    *, song_id: int, title: str, artist: str, description: str, image_url: str, audio_url: str
) -> Song:
    """The off-chain facts of a song (its token id and rarity are fixed on chain)."""
    song = Song.objects.select_for_update().filter(pk=song_id).first()
    if song is None:
        raise ApplicationError("No such song.", code="not_found", status_code=404)
    if song.frozen_by_id is not None:
        raise Conflict(
            "This song's metadata is frozen with its first batch; it cannot change.",
            code="song_frozen",
        )
    song.title, song.artist, song.description = title, artist, description
    song.image_url, song.audio_url = image_url, audio_url
    song.save(
        update_fields=["title", "artist", "description", "image_url", "audio_url", "updated_at"]
    )
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
    sale_starts_at: datetime | None = None,
    sale_ends_at: datetime | None = None,
) -> Batch:
    _check_sale_window(starts_at=sale_starts_at, ends_at=sale_ends_at)
    if not SONGS_PER_PACK <= len(pool) <= MAX_POOL_SIZE:
        # A pack holds 5 different songs: the pool needs at least that many.
        raise ApplicationError(
            f"A batch pool holds {SONGS_PER_PACK} to {MAX_POOL_SIZE} songs.", code="invalid_pool"
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
        sale_starts_at=sale_starts_at,
        sale_ends_at=sale_ends_at,
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


# On chain a sale is open from `saleStart` (0 = not scheduled) until `saleEnd` (0 = no end).
SALE_OPEN_SINCE_EPOCH = 1


def batch_register_on_chain(*, batch: Batch) -> None:
    # The pool goes on chain in token id order; the draw walks it in that order (trackpacks.draw).
    entries = list(batch.pool.select_related("song").order_by("song__token_id"))
    chain_tx_enqueue(
        sender_role="admin",
        function="createBatch",
        args=[
            batch.pk,
            int(batch.price_wei),
            batch.supply,
            *chain_sale_window(batch),
            [entry.song.token_id for entry in entries],
            [entry.weight for entry in entries],
        ],
        reference=f"batch:{batch.pk}:create",
    )


# --------------------------------------------------------------------------- sale control


def _check_sale_window(*, starts_at: datetime | None, ends_at: datetime | None) -> None:
    for value in (starts_at, ends_at):
        if value is not None and timezone.is_naive(value):
            raise ApplicationError("Sale times need a time zone (UTC).", code="invalid_window")
    if starts_at and ends_at and ends_at <= starts_at:
        raise ApplicationError("The sale must end after it starts.", code="invalid_window")


def batch_sale_is_live(batch: Batch, *, now: datetime | None = None) -> bool:
    """Whether orders are taken now: the label's switch is on and now is inside the window."""
    now = now or timezone.now()
    return (
        batch.sale_open
        and (batch.sale_starts_at is None or batch.sale_starts_at <= now)
        and (batch.sale_ends_at is None or now < batch.sale_ends_at)
    )


def chain_sale_window(batch: Batch) -> tuple[int, int]:
    """The contract's (saleStart, saleEnd) in unix seconds; saleStart 0 means closed. An open
    sale with no start is open since the epoch's first second (1), never 0."""
    if not batch.sale_open:
        return 0, 0
    start = int(batch.sale_starts_at.timestamp()) if batch.sale_starts_at else 0
    end = int(batch.sale_ends_at.timestamp()) if batch.sale_ends_at else 0
    return max(start, SALE_OPEN_SINCE_EPOCH), end


def _sale_window_to_chain(batch: Batch) -> None:
    chain_tx_enqueue(
        sender_role="admin",
        function="setSaleWindow",
        args=[batch.pk, *chain_sale_window(batch)],
        # One transaction per change; the outbox sends one sender's calls in order.
        reference=f"batch:{batch.pk}:sale:{uuid.uuid4().hex}",
    )


def _locked_batch(batch_id: int) -> Batch:
    batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise ApplicationError("No such batch.", code="batch_not_found", status_code=404)
    return batch


@transaction.atomic
def batch_sale_window_set(
    *,
    batch_id: int,
    sale_open: bool,
    sale_starts_at: datetime | None,
    sale_ends_at: datetime | None,
) -> Batch:
    """Opens, closes or schedules a batch's sale, in the database and on chain (the outbox
    sends the window to the contract, which then refuses `buyPacks` outside it)."""
    _check_sale_window(starts_at=sale_starts_at, ends_at=sale_ends_at)
    batch = _locked_batch(batch_id)
    unchanged = (batch.sale_open, batch.sale_starts_at, batch.sale_ends_at) == (
        sale_open,
        sale_starts_at,
        sale_ends_at,
    )
    if unchanged:
        return batch
    batch.sale_open = sale_open
    batch.sale_starts_at = sale_starts_at
    batch.sale_ends_at = sale_ends_at
    batch.save(update_fields=["sale_open", "sale_starts_at", "sale_ends_at", "updated_at"])
    # After `createBatch` if that is still queued: the outbox sends one sender's calls in order.
    _sale_window_to_chain(batch)
    return batch


def batch_sale_close(*, batch_id: int) -> Batch:
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise ApplicationError("No such batch.", code="batch_not_found", status_code=404)
    return batch_sale_window_set(
        batch_id=batch_id,
        sale_open=False,
        sale_starts_at=batch.sale_starts_at,
        sale_ends_at=batch.sale_ends_at,
    )


def batch_sale_open_now(*, batch_id: int) -> Batch:
    """Opens the sale at once; an end time already passed is dropped. The start is cleared
    rather than set to our clock's now: the chain's block time can lag the server's, and a
    start a few seconds ahead of the chain would leave `buyPacks` closed."""
    now = timezone.now()
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise ApplicationError("No such batch.", code="batch_not_found", status_code=404)
    ends_at = batch.sale_ends_at if batch.sale_ends_at and batch.sale_ends_at > now else None
    return batch_sale_window_set(
        batch_id=batch_id, sale_open=True, sale_starts_at=None, sale_ends_at=ends_at
    )


@transaction.atomic
def batch_price_set(*, batch_id: int, price_cents: int, price_wei: int) -> Batch:
    """Reprices a batch before its sale: refused once a pack was sold or reserved, or while
    the sale is live (the contract refuses `setBatchPrice` then too)."""
    if price_cents <= 0 or price_wei <= 0:
        raise ApplicationError("Prices must be positive.", code="invalid_price")
    batch = _locked_batch(batch_id)
    if (batch.price_cents, int(batch.price_wei)) == (price_cents, price_wei):
        return batch
    if batch_sale_is_live(batch):
        raise Conflict("Close the sale before changing its price.", code="sale_started")
    if batch.available != batch.supply or batch.orders.exists():
        raise Conflict("Packs of this batch were already ordered.", code="sale_started")
    batch.price_cents = price_cents
    batch.price_wei = price_wei
    batch.save(update_fields=["price_cents", "price_wei", "updated_at"])
    chain_tx_enqueue(
        sender_role="admin",
        function="setBatchPrice",
        args=[batch.pk, price_wei],
        reference=f"batch:{batch.pk}:price:{uuid.uuid4().hex}",
    )
    return batch


@transaction.atomic
def batch_update(*, batch_id: int, name: str, description: str) -> Batch:
    """The off-chain parts of a batch: its name and description."""
    if not name.strip():
        raise ApplicationError("A batch needs a name.", code="invalid_name")
    batch = _locked_batch(batch_id)
    if batch.frozen_at is not None and (batch.name, batch.description) != (name, description):
        raise Conflict(
            "The name and description are in the batch's frozen metadata.", code="batch_frozen"
        )
    batch.name = name
    batch.description = description
    batch.save(update_fields=["name", "description", "updated_at"])
    return batch


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


def wallet_call(function: str, args: list[Any]) -> dict[str, Any]:
    """A TrackPacks call for the fan's own wallet to send."""
    return {
        "to": contract_address(),
        "data": encode_call(function, args),
        "value_wei": "0",
        "function": function,
    }


def open_intent_live(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at > timezone.now()


@transaction.atomic
def pack_open(*, user: User, pack_id: int) -> OpenResult:
    """Custodial packs: the operator's `openPackFor` is queued and the pack is `opening`.
    Self-custody packs: only the owner's wallet can open them, so this records an intent and
    returns the `openPack` call; the pack stays `unopened` until the request is on chain (an
    intent that is never acted on simply expires). Asking again renews the intent."""
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
    if pack.order is not None and pack.order.frozen:
        raise Conflict("This pack's payment is disputed or under review.", code="pack_frozen")
    if pack.custody == Custody.CUSTODIAL:
        pack.status = PackStatus.OPENING
        pack.save(update_fields=["status", "updated_at"])
        opening = Opening.objects.create(pack=pack)
        # Per opening: if this transaction fails, a later open sends a new one. The opRef makes
        # any re-send of this one a no-op on chain (OperatorRefAlreadyUsed).
        reference = f"pack:{pack.pk}:open:{opening.pk}"
        chain_tx_enqueue(
            sender_role="operator",
            function="openPackFor",
            args=[pack.owner_id, pack.batch_id, operation_ref(reference)],
            reference=reference,
        )
        return OpenResult(pack=pack, wallet_call=None)
    call = wallet_call("openPack", [pack.batch_id])
    pack.open_intent_expires_at = timezone.now() + timedelta(
        minutes=settings.PACK_OPEN_INTENT_MINUTES
    )
    pack.save(update_fields=["open_intent_expires_at", "updated_at"])
    return OpenResult(pack=pack, wallet_call=call)


def _pack_for_open_request(*, holder: str, batch_id: int) -> Pack | None:
    """The pack an on-chain open request stands for (packs of a batch are fungible on chain):
    a custodial pack the operator was asked to open, else the self-custody pack with the
    oldest live opening intent, else any unopened pack of that holder (opened straight from
    the wallet)."""
    candidates = Pack.objects.select_for_update(of=("self",)).filter(
        holder_address__iexact=holder, batch_id=batch_id
    )
    unopened = candidates.filter(status=PackStatus.UNOPENED)
    return (
        candidates.filter(status=PackStatus.OPENING, opening__request_id__isnull=True)
        .order_by("opening__created_at", "pk")
        .first()
        or unopened.filter(open_intent_expires_at__gt=timezone.now())
        .order_by("open_intent_expires_at", "pk")
        .first()
        or unopened.order_by("pk").first()
    )


def pack_open_requested(*, request_id: int, holder: str, batch_id: int, tx_hash: str) -> None:
    if Opening.objects.filter(request_id=request_id).exists():
        return
    pack = _pack_for_open_request(holder=holder, batch_id=batch_id)
    if pack is None:
        logger.warning(
            "Open request %s for unknown pack of %s in batch %s", request_id, holder, batch_id
        )
        return
    now = timezone.now()
    if pack.status == PackStatus.UNOPENED:
        pack.status = PackStatus.OPENING
        pack.open_intent_expires_at = None
        pack.save(update_fields=["status", "open_intent_expires_at", "updated_at"])
        Opening.objects.create(
            pack=pack, request_id=request_id, requested_tx_hash=tx_hash, requested_at=now
        )
        return
    Opening.objects.filter(pack=pack).update(
        request_id=request_id, requested_tx_hash=tx_hash, requested_at=now, updated_at=now
    )


def pack_open_retried(*, old_request_id: int, new_request_id: int, tx_hash: str) -> None:
    """`PackOpenRetried`: the opening now waits for the new request; the old id is void on
    chain (its late fulfilment is ignored there, and finds no opening here)."""
    opening = Opening.objects.select_for_update().filter(request_id=old_request_id).first()
    if opening is None:
        logger.warning("Retry of unknown open request %s", old_request_id)
        return
    retry = {
        "old_request_id": str(old_request_id),
        "new_request_id": str(new_request_id),
        "tx_hash": tx_hash,
        "old_requested_at": opening.requested_at.isoformat() if opening.requested_at else None,
    }
    opening.retries = [*opening.retries, retry]
    opening.request_id = new_request_id
    opening.requested_at = timezone.now()
    opening.save(update_fields=["retries", "request_id", "requested_at", "updated_at"])
    logger.info("Opening %s: request %s retried as %s", opening.pk, old_request_id, new_request_id)


def pack_open_retry_reverted(*, old_request_id: int, new_request_id: int) -> None:
    opening = Opening.objects.select_for_update().filter(request_id=new_request_id).first()
    if opening is None or not opening.retries:
        return
    last = opening.retries[-1]
    if last.get("new_request_id") != str(new_request_id):
        return
    opening.retries = opening.retries[:-1]
    opening.request_id = old_request_id
    before = last.get("old_requested_at")
    opening.requested_at = datetime.fromisoformat(before) if before else None
    opening.save(update_fields=["retries", "request_id", "requested_at", "updated_at"])


def pack_open_fulfilled(
    *, request_id: int, song_token_ids: Sequence[int], random_word: int, tx_hash: str
) -> None:
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
    opening.random_word = random_word
    opening.fulfilled_tx_hash = tx_hash
    opening.save(update_fields=["revealed_at", "random_word", "fulfilled_tx_hash", "updated_at"])
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
    Opening.objects.filter(pk=opening.pk).update(
        revealed_at=None, random_word=None, fulfilled_tx_hash=""
    )
    Pack.objects.filter(pk=opening.pack_id).update(status=PackStatus.OPENING)


def open_retry_after() -> timedelta:
    return timedelta(seconds=settings.CHAIN_OPEN_RETRY_AFTER_SECONDS)


def _alert_stuck_once(opening: Opening) -> None:
    if cache.add(f"opening-stuck-alert:{opening.pk}:{opening.request_id}", "1", 3600):
        logger.error(
            "ALERT opening %s of pack %s (%s custody): VRF request %s unfulfilled since %s",
            opening.pk,
            opening.pack_id,
            opening.pack.custody,
            opening.request_id,
            opening.requested_at,
        )


def _retry_reference(opening: Opening) -> str | None:
    """The outbox reference for the next `retryOpen` of this request; None while one is on
    its way (a failed attempt, e.g. RetryTooEarly against the chain's clock, gets a new one)."""
    prefix = f"opening:{opening.pk}:retry:{opening.request_id}:"
    sent = ChainTransaction.objects.filter(reference__startswith=prefix)
    if sent.exclude(status=ChainTransaction.Status.FAILED).exists():
        return None
    return f"{prefix}{sent.count()}"


def _due_on_chain(request_id: int) -> bool:
    """The contract agrees: still pending and its OPEN_RETRY_DELAY has passed (by block time)."""
    from chain.client import get_web3, trackpacks_contract

    contract = trackpacks_contract()
    _holder, _batch, requested_at, status = contract.functions.openRequest(request_id).call()
    if int(status) != 1:  # not pending: fulfilled (the indexer will catch up) or void
        return False
    delay = int(contract.functions.OPEN_RETRY_DELAY().call())
    now = int(get_web3().eth.get_block("latest")["timestamp"])
    return now >= int(requested_at) + delay


def openings_retry_stuck() -> int:
    """Worker pass: alert on openings whose randomness never came, and queue `retryOpen` for
    custodial ones (self-custody owners get the call from the API). Returns how many were
    queued."""
    queued = 0
    for opening in openings_stuck()[:100]:
        _alert_stuck_once(opening)
        if opening.pack.custody != Custody.CUSTODIAL or _retry_reference(opening) is None:
            continue
        if not _due_on_chain(int(opening.request_id)):
            continue
        with transaction.atomic():
            reference = _retry_reference(opening)
            if reference is None:
                continue
            chain_tx_enqueue(
                sender_role="operator",
                function="retryOpen",
                args=[int(opening.request_id)],
                reference=reference,
            )
        queued += 1
    return queued


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
    custodial = locked.custodial_address
    if song is None or not custodial:
        raise ApplicationError("You hold no such song in custody.", code="insufficient_balance")
    held = token_balance_of(address=custodial, token_id=token_id)
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
    locked_by_card = card_songs_locked(user=locked, token_id=token_id)
    if amount > available - locked_by_card:
        raise ApplicationError(
            "Songs from card purchases stay in custody until the payment can no longer be "
            "charged back (or while it is disputed or refunded).",
            code="withdrawal_on_hold",
            details={
                "available": max(available - locked_by_card, 0),
                "on_hold": locked_by_card,
                "hold_hours": settings.CARD_WITHDRAWAL_HOLD_HOURS,
            },
        )
    withdrawal = Withdrawal.objects.create(
        user=locked,
        song=song,
        amount=amount,
        from_address=custodial,
        to_address=locked.wallet_address,
    )
    reference = f"withdrawal:{withdrawal.pk}"
    chain_tx_enqueue(
        sender_role="operator",
        function="withdrawFor",
        # From custodialAddress(user id) only; the opRef makes a re-send a no-op on chain.
        args=[locked.pk, withdrawal.to_address, token_id, amount, operation_ref(reference)],
        reference=reference,
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
