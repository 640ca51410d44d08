"""Chain writes for domain code and staff: queue contract calls, ingest a transaction's events,
retry or cancel outbox transactions, pause the contract and withdraw its proceeds."""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from hexbytes import HexBytes
from web3 import Web3

from chain import outbox
from chain.client import get_web3
from chain.config import signer_account
from chain.indexer import chain_ingest_transaction
from chain.models import ChainTransaction
from chain.outbox import chain_tx_enqueue
from core.errors import ApplicationError, Conflict

__all__ = [
    "chain_ingest_transaction",
    "chain_tx_cancel",
    "chain_tx_enqueue",
    "chain_tx_retry",
    "contract_pause_set",
    "contract_proceeds_withdraw",
]

logger = logging.getLogger(__name__)
Status = ChainTransaction.Status
CANCEL_GAS = 21_000


def _locked_tx(tx_id: int) -> ChainTransaction:
    tx = ChainTransaction.objects.select_for_update().filter(pk=tx_id).first()
    if tx is None:
        raise ApplicationError("No such chain transaction.", code="not_found", status_code=404)
    return tx


@transaction.atomic
def chain_tx_retry(*, tx_id: int) -> ChainTransaction:
    """A failed call is queued again as a new outbox row (the failed one stays as the record);
    a queued call waiting out its backoff is tried on the next pass."""
    tx = _locked_tx(tx_id)
    if tx.status == Status.QUEUED:
        tx.next_attempt_at = None
        tx.save(update_fields=["next_attempt_at", "updated_at"])
        return tx
    if tx.status != Status.FAILED:
        raise Conflict(f"A {tx.status} transaction cannot be retried.", code="not_retryable")
    if (
        ChainTransaction.objects.filter(reference__startswith=f"{tx.reference}:retry:")
        .exclude(status=Status.FAILED)
        .exists()
    ):
        raise Conflict("A retry of this transaction is already under way.", code="retry_pending")
    return chain_tx_enqueue(
        sender_role=tx.sender_role,
        function=tx.function,
        args=list(tx.args),
        value_wei=int(tx.value_wei),
        reference=f"{tx.reference}:retry:{uuid.uuid4().hex[:12]}",
    )


def chain_tx_cancel(*, tx_id: int) -> ChainTransaction:
    """Cancels a call that is not mined. Never signed: it simply fails. Signed: its nonce is
    taken by a 0-value transfer to the sender itself at higher fees, so whichever of the two
    the chain includes, the call does not run twice; if the original still wins the race,
    its events are indexed as usual. Either way the row ends `failed` and its callbacks run."""
    with transaction.atomic():
        known = ChainTransaction.objects.filter(pk=tx_id).first()
        if known is None:
            raise ApplicationError("No such chain transaction.", code="not_found", status_code=404)
        # The outbox's lock order (sender nonce row, then the transaction): a fee bump cannot
        # re-sign the call while it is being replaced.
        outbox._lock_nonce_row(known.chain_id, known.sender_address)
        tx = _locked_tx(tx_id)
        if tx.status not in (Status.QUEUED, Status.SENT):
            raise Conflict(f"A {tx.status} transaction cannot be cancelled.", code="not_pending")
        if tx.status == Status.QUEUED:
            reason = "cancelled by staff before it was sent"
        else:
            reason = f"cancelled by staff: nonce {tx.nonce} replaced by {_replace_with_noop(tx)}"
        outbox._finish(tx, status=Status.FAILED, reason=reason)
    tx.refresh_from_db()
    return tx


def _replace_with_noop(tx: ChainTransaction) -> str:
    w3 = get_web3()
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    market_priority = int(w3.eth.max_priority_fee)
    # A replacement must outbid the last attempt on both fees (nodes want +10%; we double).
    priority = max(2 * int(tx.max_priority_fee_per_gas or 0), market_priority, 1)
    max_fee = max(2 * int(tx.max_fee_per_gas or 0), 2 * base + priority)
    sender = Web3.to_checksum_address(tx.sender_address)
    signed = signer_account(tx.sender_role).sign_transaction(
        {
            "type": 2,
            "chainId": tx.chain_id,
            "nonce": int(tx.nonce or 0),
            "to": sender,
            "value": 0,
            "gas": CANCEL_GAS,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
        }
    )
    try:
        w3.eth.send_raw_transaction(signed.raw_transaction)
    except Exception as exc:
        raise ApplicationError(
            f"The node refused the replacement: {exc}", code="cancel_refused"
        ) from exc
    return HexBytes(signed.hash).to_0x_hex()


def _contract_call(function: str, args: list[Any]) -> ChainTransaction:
    return chain_tx_enqueue(
        sender_role="admin",
        function=function,
        args=args,
        reference=f"contract:{function}:{timezone.now():%Y%m%dT%H%M%S}:{uuid.uuid4().hex[:8]}",
    )


@transaction.atomic
def contract_pause_set(*, paused: bool) -> ChainTransaction:
    """Pauses (or unpauses) purchases, mints, openings and withdrawals on chain."""
    return _contract_call("pause" if paused else "unpause", [])


def treasury_address() -> str:
    address = settings.TREASURY_ADDRESS
    if not address:
        raise ApplicationError(
            "No treasury address is configured (TREASURY_ADDRESS).", code="no_treasury"
        )
    if not Web3.is_address(address):
        raise ApplicationError("TREASURY_ADDRESS is not an address.", code="no_treasury")
    return str(Web3.to_checksum_address(address))


@transaction.atomic
def contract_proceeds_withdraw() -> ChainTransaction:
    """Sends the contract's crypto proceeds to the configured treasury (never anywhere else)."""
    return _contract_call("withdrawProceeds", [treasury_address()])
