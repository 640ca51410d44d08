"""The transaction outbox and its nonce manager.

Domain code calls `chain_tx_enqueue` inside its own `transaction.atomic()`, so the call is
recorded with the business change or not at all. A worker runs `outbox_process_once`:

1. receipts: sent transactions with a receipt (for any of their attempts) become `mined`, then
   `confirmed` (or `failed` when reverted) once CHAIN_CONFIRMATIONS deep; a receipt that
   disappears (reorg) sends the transaction back to `sent` so its signed bytes are broadcast
   again. A sent transaction without a receipt whose nonce is still free and that the node does
   not know (dropped from its pool) is broadcast again with the very same bytes.
2. signing, under a row lock on the sender's `SenderNonce`: queued calls get the next nonce,
   EIP-1559 fees from the node, and are signed; the signed bytes and hash are committed
   *before* anything is broadcast. Timers run from signing (`signed_at`, `first_signed_at`),
   not from a successful broadcast, so a call the node keeps refusing (e.g. "max fee per gas
   less than block base fee") is still re-signed with fees x2 (capped at x10 of the first
   fees) after CHAIN_TX_BUMP_AFTER_SECONDS and expires after CHAIN_TX_MAX_AGE_SECONDS.
3. broadcasting, outside the lock: every signed attempt not yet broadcast is sent. A crash
   between the broadcast and recording it only leads to sending the same bytes again (same
   hash: the node answers "already known", which counts as success).

"Nonce too low" (or a nonce the chain has passed) with no receipt for any attempt is not proof
that the call failed: a node behind can hide a receipt. The transaction stays `sent` and is
re-checked each pass; only when CHAIN_TX_NONCE_EVIDENCE_BLOCKS blocks have passed since the
nonce was first seen consumed, still with no receipt for any attempt hash, is the call
re-queued under a new nonce (and the on-chain reference it carries keeps a wrong guess from
executing twice). Such a transaction is neither bumped nor expired: its nonce is gone.
"insufficient funds" fails the call at once (logged at error, no retry); connection errors,
timeouts and rate limits leave it for a later pass with exponential backoff (`next_attempt_at`).
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound
from web3.types import TxParams, TxReceipt

from chain.client import (
    TRACKPACKS,
    get_web3,
    load_artifact,
    require_deployment,
    trackpacks_contract,
)
from chain.config import SenderRole, chain_settings, signer_account, signer_address
from chain.models import ChainTransaction, ChainTransactionAttempt, SenderNonce

logger = logging.getLogger(__name__)

Status = ChainTransaction.Status
TxCallback = Callable[[ChainTransaction], None]

OUTBOX_ROLES = (SenderRole.ADMIN, SenderRole.MINTER, SenderRole.OPERATOR)
MAX_FEE_MULTIPLIER = 10
MAX_BACKOFF_SECONDS = 60
SIGN_BATCH = 20
GAS_HEADROOM = Decimal("1.25")

_callbacks: dict[str, list[TxCallback]] = defaultdict(list)


def on_tx_status(function_name: str) -> Callable[[TxCallback], TxCallback]:
    """Register `callback(tx)` for transactions calling `function_name`; it runs inside the DB
    transaction that marks the transaction `confirmed` or `failed` (check `tx.status`)."""

    def register(func: TxCallback) -> TxCallback:
        if func not in _callbacks[function_name]:
            _callbacks[function_name].append(func)
        return func

    return register


def _json_arg(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return HexBytes(value).to_0x_hex()
    if isinstance(value, list | tuple):
        return [_json_arg(v) for v in value]
    if isinstance(value, Decimal):
        return int(value)
    return value


def chain_tx_enqueue(
    *,
    sender_role: str,
    function: str,
    args: list[Any],
    reference: str,
    value_wei: int = 0,
) -> ChainTransaction:
    """Queue a TrackPacks call. Must run inside the caller's `transaction.atomic()`; a repeated
    `reference` returns the existing row. Bad arguments fail here (ABI encoding)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("chain_tx_enqueue must be called inside transaction.atomic().")
    existing = ChainTransaction.objects.filter(reference=reference).first()
    if existing is not None:
        return existing
    role = SenderRole(sender_role)
    if role not in OUTBOX_ROLES:
        raise ValueError(f"{sender_role!r} cannot send outbox transactions.")
    deployment = require_deployment()
    clean_args = [_json_arg(a) for a in args]
    try:
        calldata = trackpacks_contract().encode_abi(function, args=clean_args)
    except Exception as exc:
        raise ValueError(f"Cannot encode {function}({clean_args!r}): {exc}") from exc
    try:
        with transaction.atomic():
            return ChainTransaction.objects.create(
                chain_id=deployment.chain_id,
                sender_role=role.value,
                sender_address=signer_address(role),
                to_address=deployment.trackpacks.address,
                function=function,
                args=clean_args,
                calldata=calldata,
                value_wei=value_wei,
                reference=reference,
            )
    except IntegrityError:
        return ChainTransaction.objects.get(reference=reference)


# --------------------------------------------------------------------------- error handling


class _Kind:
    TRANSIENT = "transient"
    KNOWN = "known"
    NONCE_LOW = "nonce_low"
    FUNDS = "funds"
    UNDERPRICED = "underpriced"
    OTHER = "other"


def _classify(exc: BaseException) -> str:
    if isinstance(
        exc, requests.ConnectionError | requests.Timeout | ConnectionError | TimeoutError
    ):
        return _Kind.TRANSIENT
    if isinstance(exc, requests.HTTPError):
        return _Kind.TRANSIENT
    message = str(exc).lower()
    if (
        "already known" in message
        or "known transaction" in message
        or "already imported" in message
    ):
        return _Kind.KNOWN
    if "nonce too low" in message or "nonce is too low" in message:
        return _Kind.NONCE_LOW
    if "insufficient funds" in message:
        return _Kind.FUNDS
    if "underpriced" in message:
        return _Kind.UNDERPRICED
    if "rate limit" in message or "too many requests" in message or "429" in message:
        return _Kind.TRANSIENT
    return _Kind.OTHER


def _backoff(tx: ChainTransaction, error: str) -> None:
    delay = min(2 ** min(tx.attempts, 10), MAX_BACKOFF_SECONDS)
    ChainTransaction.objects.filter(pk=tx.pk).update(
        attempts=F("attempts") + 1,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=error[:2000],
    )


def _finish(tx: ChainTransaction, *, status: str, reason: str = "", **fields: Any) -> None:
    """Final status + callbacks, exactly once (row lock + status check)."""
    with transaction.atomic():
        locked = ChainTransaction.objects.select_for_update().get(pk=tx.pk)
        if locked.status in (Status.CONFIRMED, Status.FAILED):
            return
        locked.status = status
        locked.failure_reason = reason[:2000]
        for name, value in fields.items():
            setattr(locked, name, value)
        if status == Status.CONFIRMED:
            locked.confirmed_at = timezone.now()
        locked.save()
        if status == Status.FAILED:
            log = logger.error if "insufficient funds" in reason.lower() else logger.warning
            log("Chain tx %s (%s) failed: %s", locked.pk, locked.reference, reason)
        for callback in _callbacks.get(locked.function, []):
            callback(locked)


def _error_name(data: Any) -> str | None:
    if not isinstance(data, str) or len(data) < 10:
        return None
    selector = data[:10].lower()
    for item in load_artifact(TRACKPACKS).abi:
        if item.get("type") == "error":
            signature = f"{item['name']}({','.join(i['type'] for i in item.get('inputs', []))})"
            if Web3.keccak(text=signature)[:4].to_0x_hex() == selector:
                return signature
    return None


def _revert_reason(exc: ContractLogicError) -> str:
    name = _error_name(exc.data)
    return f"reverted: {name}" if name else f"reverted: {exc.message or exc}"


# --------------------------------------------------------------------------- receipts


def _receipt(w3: Web3, tx_hash: str) -> TxReceipt | None:
    try:
        return w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None


def _find_receipt(w3: Web3, tx: ChainTransaction) -> TxReceipt | None:
    hashes = [
        tx.tx_hash,
        *tx.attempts_log.exclude(tx_hash=tx.tx_hash).values_list("tx_hash", flat=True),
    ]
    for tx_hash in hashes:
        if tx_hash:
            receipt = _receipt(w3, tx_hash)
            if receipt is not None:
                return receipt
    return None


def _mark_mined(tx: ChainTransaction, receipt: TxReceipt) -> None:
    ChainTransaction.objects.filter(pk=tx.pk, status=Status.SENT).update(
        status=Status.MINED,
        tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex(),
        block_number=receipt["blockNumber"],
        block_hash=HexBytes(receipt["blockHash"]).to_0x_hex(),
        receipt_status=receipt["status"],
        gas_used=receipt["gasUsed"],
        effective_gas_price=Decimal(receipt.get("effectiveGasPrice", 0)),
        last_error="",
    )


def _revert_reason_for_receipt(w3: Web3, tx: ChainTransaction) -> str:
    """Replays a reverted call at its block's parent state to name the error (best effort)."""
    params: TxParams = {
        "from": Web3.to_checksum_address(tx.sender_address),
        "to": Web3.to_checksum_address(tx.to_address),
        "data": HexBytes(tx.calldata),
        "value": Web3.to_wei(int(tx.value_wei), "wei"),
    }
    try:
        w3.eth.call(params, block_identifier=max(0, (tx.block_number or 1) - 1))
    except ContractLogicError as exc:
        return _revert_reason(exc)
    except Exception:  # noqa: S110 - the reason is informational only
        pass
    return "reverted on chain"


def _poll_receipts(w3: Web3, address: str, chain_id: int) -> None:
    conf = chain_settings()
    chain_nonce: int | None = None
    head: int | None = None
    for tx in ChainTransaction.objects.filter(
        chain_id=chain_id, sender_address=address, status=Status.SENT
    ).exclude(tx_hash=""):
        receipt = _find_receipt(w3, tx)
        if receipt is not None:
            _mark_mined(tx, receipt)
            continue
        if tx.last_broadcast_at is None or tx.nonce is None:
            continue
        if chain_nonce is None:
            chain_nonce = w3.eth.get_transaction_count(Web3.to_checksum_address(address))
        if tx.nonce < chain_nonce:
            head = head if head is not None else int(w3.eth.block_number)
            _nonce_consumed_without_receipt(tx, head=head)
        elif not _node_knows(w3, tx.tx_hash):
            _rebroadcast_same_bytes(tx)
    head = int(w3.eth.block_number)
    for tx in ChainTransaction.objects.filter(
        chain_id=chain_id, sender_address=address, status=Status.MINED
    ):
        if tx.block_number is None or head - tx.block_number + 1 < conf.confirmations:
            continue
        receipt = _receipt(w3, tx.tx_hash)
        if receipt is None or HexBytes(receipt["blockHash"]).to_0x_hex() != tx.block_hash:
            # Reorged out: back to sent; the signed bytes are broadcast again.
            ChainTransaction.objects.filter(pk=tx.pk, status=Status.MINED).update(
                status=Status.SENT,
                block_number=None,
                block_hash="",
                last_broadcast_at=None,
                nonce_consumed_seen_block=None,
            )
            continue
        if receipt["status"] == 1:
            _finish(tx, status=Status.CONFIRMED)
        else:
            _finish(tx, status=Status.FAILED, reason=_revert_reason_for_receipt(w3, tx))


# --------------------------------------------------------------------------- signing


def _fees(w3: Web3) -> tuple[int, int]:
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    priority = int(w3.eth.max_priority_fee)
    return 2 * base + priority, priority


def _sign(w3: Web3, tx: ChainTransaction, *, nonce: int, max_fee: int, priority: int) -> None:
    account = signer_account(tx.sender_role)
    params: dict[str, Any] = {
        "type": 2,
        "chainId": tx.chain_id,
        "nonce": nonce,
        "to": Web3.to_checksum_address(tx.to_address),
        "data": tx.calldata,
        "value": int(tx.value_wei),
        "gas": int(tx.gas_limit or 0),
        "maxFeePerGas": max_fee,
        "maxPriorityFeePerGas": priority,
    }
    signed = account.sign_transaction(params)
    tx_hash = HexBytes(signed.hash).to_0x_hex()
    tx.nonce = nonce
    tx.raw_tx = HexBytes(signed.raw_transaction).to_0x_hex()
    tx.tx_hash = tx_hash
    tx.max_fee_per_gas = Decimal(max_fee)
    tx.max_priority_fee_per_gas = Decimal(priority)
    tx.status = Status.SENT
    tx.signed_at = timezone.now()
    tx.first_signed_at = tx.first_signed_at or tx.signed_at
    tx.last_broadcast_at = None
    tx.next_attempt_at = None
    tx.nonce_consumed_seen_block = None
    tx.save()
    ChainTransactionAttempt.objects.create(
        transaction=tx,
        tx_hash=tx_hash,
        nonce=nonce,
        max_fee_per_gas=Decimal(max_fee),
        max_priority_fee_per_gas=Decimal(priority),
    )


def _lock_nonce_row(chain_id: int, address: str) -> SenderNonce:
    SenderNonce.objects.get_or_create(chain_id=chain_id, address=address)
    return SenderNonce.objects.select_for_update().get(chain_id=chain_id, address=address)


def _estimate(w3: Web3, tx: ChainTransaction) -> int:
    params: TxParams = {
        "from": Web3.to_checksum_address(tx.sender_address),
        "to": Web3.to_checksum_address(tx.to_address),
        "data": HexBytes(tx.calldata),
        "value": Web3.to_wei(int(tx.value_wei), "wei"),
    }
    return int(Decimal(w3.eth.estimate_gas(params)) * GAS_HEADROOM)


def _sign_pending(w3: Web3, address: str, chain_id: int) -> None:
    """Bump stuck transactions and sign queued ones, holding the sender's nonce lock."""
    now = timezone.now()
    bump_before = now - timedelta(seconds=settings.CHAIN_TX_BUMP_AFTER_SECONDS)
    expire_before = now - timedelta(seconds=settings.CHAIN_TX_MAX_AGE_SECONDS)
    with transaction.atomic():
        nonce_row = _lock_nonce_row(chain_id, address)
        mine = ChainTransaction.objects.filter(chain_id=chain_id, sender_address=address)
        stuck = list(
            mine.filter(
                status=Status.SENT, signed_at__lt=bump_before, nonce_consumed_seen_block=None
            ).order_by("nonce")
        )
        queued = list(
            mine.filter(status=Status.QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("pk")[:SIGN_BATCH]
        )
        if not stuck and not queued:
            return
        max_fee, priority = _fees(w3)
        for tx in stuck:
            if tx.first_signed_at is not None and tx.first_signed_at < expire_before:
                _expire(tx, nonce_row)
                continue
            multiplier = min(tx.fee_multiplier * 2, MAX_FEE_MULTIPLIER)
            first = tx.attempts_log.order_by("pk").first()
            base_fee = int(first.max_fee_per_gas) if first else max_fee
            base_priority = int(first.max_priority_fee_per_gas) if first else priority
            tx.fee_multiplier = multiplier
            # Never below the current market, never below the last attempt (replacement rule).
            new_fee = max(base_fee * multiplier, max_fee, int(tx.max_fee_per_gas or 0) + 1)
            new_priority = max(
                base_priority * multiplier, priority, int(tx.max_priority_fee_per_gas or 0) + 1
            )
            logger.info("Re-signing chain tx %s with fees x%s", tx.pk, multiplier)
            _sign(w3, tx, nonce=int(tx.nonce or 0), max_fee=new_fee, priority=new_priority)

        # The chain's count wins when it is ahead of ours (the key was used elsewhere): a
        # stale nonce would be refused as "too low", which is only re-queued on evidence.
        pending = w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending")
        nonce_row.next_nonce = max(int(nonce_row.next_nonce or 0), int(pending))
        outstanding = mine.filter(status__in=[Status.SENT, Status.MINED]).exists()
        for tx in queued:
            try:
                tx.gas_limit = _estimate(w3, tx)
            except ContractLogicError as exc:
                if outstanding:
                    # May depend on an earlier call not mined yet: keep the order, try later.
                    _backoff(tx, _revert_reason(exc))
                    break
                _finish(tx, status=Status.FAILED, reason=_revert_reason(exc))
                continue
            except (requests.RequestException, OSError):
                raise
            except Exception as exc:
                kind = _classify(exc)
                if kind == _Kind.FUNDS:
                    _finish(tx, status=Status.FAILED, reason=f"insufficient funds: {exc}")
                    continue
                if kind == _Kind.TRANSIENT:
                    raise
                _backoff(tx, f"estimate failed: {exc}")
                break
            nonce = int(nonce_row.next_nonce)
            _sign(w3, tx, nonce=nonce, max_fee=max_fee, priority=priority)
            nonce_row.next_nonce = nonce + 1
            outstanding = True
        nonce_row.save()


def _expire(tx: ChainTransaction, nonce_row: SenderNonce) -> None:
    """Give up on a transaction pending longer than CHAIN_TX_MAX_AGE_SECONDS.

    Nonce gap risk: its nonce stays unused while later nonces wait behind it. We forget the
    cached nonce so the next assignment re-reads `pending` from the node: if the node dropped
    the transaction, the next queued call takes the freed nonce and unblocks the later ones; if
    the node still holds it, it may yet be mined, so the row keeps every hash for an operator
    to check. Fee bumping before expiry makes this rare.
    """
    nonce_row.next_nonce = None
    _finish(
        tx,
        status=Status.FAILED,
        reason=f"expired: no receipt after {settings.CHAIN_TX_MAX_AGE_SECONDS}s (nonce {tx.nonce})",
    )


# --------------------------------------------------------------------------- broadcasting


def _record_broadcast(tx: ChainTransaction) -> None:
    now = timezone.now()
    ChainTransaction.objects.filter(pk=tx.pk, tx_hash=tx.tx_hash).update(
        last_broadcast_at=now,
        first_sent_at=tx.first_sent_at or now,
        next_attempt_at=None,
        last_error="",
    )


def _node_knows(w3: Web3, tx_hash: str) -> bool:
    """Whether the node has the transaction (in its pool or mined)."""
    try:
        w3.eth.get_transaction(HexBytes(tx_hash))
    except TransactionNotFound:
        return False
    return True


def _rebroadcast_same_bytes(tx: ChainTransaction) -> None:
    """The node dropped a signed transaction whose nonce is still free: send the same bytes
    again (same hash, so it can never execute twice)."""
    logger.info("Chain tx %s unknown to the node; broadcasting the same bytes again", tx.pk)
    ChainTransaction.objects.filter(pk=tx.pk, status=Status.SENT, tx_hash=tx.tx_hash).update(
        last_broadcast_at=None
    )


def _nonce_consumed_without_receipt(tx: ChainTransaction, *, head: int) -> None:
    """The chain has passed this transaction's nonce, yet no attempt has a receipt. Re-queue
    only on evidence: CHAIN_TX_NONCE_EVIDENCE_BLOCKS blocks after the nonce was first seen
    consumed, still without a receipt (callers check every attempt hash first)."""
    if tx.nonce_consumed_seen_block is None:
        ChainTransaction.objects.filter(pk=tx.pk, status=Status.SENT, tx_hash=tx.tx_hash).update(
            nonce_consumed_seen_block=head,
            last_broadcast_at=tx.last_broadcast_at or timezone.now(),
            last_error=f"nonce {tx.nonce} used on chain, no receipt yet (block {head})",
        )
        return
    waited = head - tx.nonce_consumed_seen_block
    if waited < settings.CHAIN_TX_NONCE_EVIDENCE_BLOCKS:
        return
    with transaction.atomic():
        nonce_row = _lock_nonce_row(tx.chain_id, tx.sender_address)
        locked = ChainTransaction.objects.select_for_update().get(pk=tx.pk)
        if locked.status != Status.SENT or locked.tx_hash != tx.tx_hash:
            return
        logger.warning(
            "Nonce %s of %s was used by another transaction (no receipt for any attempt of "
            "tx %s after %s blocks); re-queueing it",
            tx.nonce,
            tx.sender_address,
            tx.pk,
            waited,
        )
        nonce_row.next_nonce = None
        nonce_row.save()
        locked.status = Status.QUEUED
        locked.nonce = None
        locked.raw_tx = ""
        locked.tx_hash = ""
        locked.fee_multiplier = 1
        locked.signed_at = None
        locked.first_signed_at = None
        locked.nonce_consumed_seen_block = None
        locked.last_error = f"nonce {tx.nonce} used by another transaction; re-queued"
        locked.save()


def _nonce_too_low(w3: Web3, tx: ChainTransaction) -> None:
    """A broadcast refused as "nonce too low": a claim to check, not evidence."""
    receipt = _find_receipt(w3, tx)
    if receipt is not None:
        _mark_mined(tx, receipt)
        return
    chain_nonce = w3.eth.get_transaction_count(Web3.to_checksum_address(tx.sender_address))
    if tx.nonce is not None and tx.nonce < chain_nonce:
        _nonce_consumed_without_receipt(tx, head=int(w3.eth.block_number))
        return
    # Not used in a block the node shows yet: the receipt poll re-checks it every pass.
    ChainTransaction.objects.filter(pk=tx.pk, status=Status.SENT, tx_hash=tx.tx_hash).update(
        last_broadcast_at=timezone.now(), last_error="nonce too low (pending), re-checking"
    )


def _release_nonce(failed: ChainTransaction) -> None:
    """A transaction the node refused never used its nonce: hand it to the next call, and
    re-sign the later calls of this sender that were signed but not broadcast yet."""
    with transaction.atomic():
        nonce_row = _lock_nonce_row(failed.chain_id, failed.sender_address)
        nonce_row.next_nonce = None
        nonce_row.save()
        ChainTransaction.objects.filter(
            chain_id=failed.chain_id,
            sender_address=failed.sender_address,
            status=Status.SENT,
            last_broadcast_at=None,
            nonce__gt=failed.nonce or 0,
        ).update(status=Status.QUEUED, nonce=None, raw_tx="", tx_hash="", fee_multiplier=1)


def _broadcast_pending(w3: Web3, address: str, chain_id: int) -> None:
    now = timezone.now()
    rows = (
        ChainTransaction.objects.filter(
            chain_id=chain_id, sender_address=address, status=Status.SENT, last_broadcast_at=None
        )
        .exclude(raw_tx="")
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("nonce")
    )
    for tx in rows:
        try:
            w3.eth.send_raw_transaction(HexBytes(tx.raw_tx))
        except Exception as exc:
            kind = _classify(exc)
            if kind == _Kind.NONCE_LOW:
                _nonce_too_low(w3, tx)
                continue
            if kind == _Kind.FUNDS:
                _finish(tx, status=Status.FAILED, reason=f"insufficient funds: {exc}")
                _release_nonce(tx)
                return
            if kind != _Kind.KNOWN:
                logger.warning("Broadcast of chain tx %s failed (%s): %s", tx.pk, kind, exc)
                _backoff(tx, f"broadcast failed: {exc}")
                if kind == _Kind.TRANSIENT:
                    return
                continue
        _record_broadcast(tx)


# --------------------------------------------------------------------------- the pass


def outbox_process_once() -> None:
    """One worker pass over every sender with open transactions. Safe to run concurrently."""
    conf = chain_settings()
    senders = sorted(
        set(
            ChainTransaction.objects.filter(
                chain_id=conf.chain_id, status__in=[Status.QUEUED, Status.SENT, Status.MINED]
            ).values_list("sender_address", flat=True)
        )
    )
    if not senders:
        return
    w3 = get_web3()
    for address in senders:
        try:
            _poll_receipts(w3, address, conf.chain_id)
            _sign_pending(w3, address, conf.chain_id)
            _broadcast_pending(w3, address, conf.chain_id)
        except (requests.RequestException, OSError) as exc:
            logger.warning("Chain RPC unavailable for %s: %s", address, exc)
            _backoff_sender(address, conf.chain_id, str(exc))


def _backoff_sender(address: str, chain_id: int, error: str) -> None:
    for tx in ChainTransaction.objects.filter(
        chain_id=chain_id, sender_address=address, status=Status.QUEUED
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())):
        _backoff(tx, f"rpc unavailable: {error}")
