"""Local VRF fulfiller: answers the mock coordinator's randomness requests on chain 31337.

The real coordinator (Polygon Amoy) fulfils requests itself; this exists only so that packs
open on a local chain. Words come from `os.urandom`. The mock does not revert when the
consumer's callback fails, so callers check state (the `PackOpened` event), not the call."""

import logging
import os

from django.db import transaction
from django.utils import timezone
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError

from chain.client import coordinator_contract, get_web3, require_deployment
from chain.config import SenderRole, chain_settings, signer_account
from chain.models import IndexerCursor, VrfRequest
from core.errors import ApplicationError

logger = logging.getLogger(__name__)

SCAN_RANGE = 2000


class FulfillerUnavailable(ApplicationError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="fulfiller_unavailable", status_code=503)


def _check_local() -> None:
    conf = chain_settings()
    if not conf.is_local:
        raise FulfillerUnavailable(
            f"The local VRF fulfiller only runs on chain 31337, not {conf.chain_id}."
        )
    deployment = require_deployment()
    if deployment.coordinator_mock is None:
        raise FulfillerUnavailable("The deployment record has no mock VRF coordinator.")


def _scan_requests() -> None:
    """Records new `RandomWordsRequested` logs of the mock (no reorgs on the local chain)."""
    conf = chain_settings()
    coordinator = coordinator_contract()
    mock = require_deployment().coordinator_mock
    assert mock is not None  # noqa: S101 - checked by _check_local
    w3 = get_web3()
    head = w3.eth.block_number
    with transaction.atomic():
        IndexerCursor.objects.get_or_create(
            chain_id=conf.chain_id, address=mock.address, defaults={"last_block": mock.block - 1}
        )
        cursor = IndexerCursor.objects.select_for_update().get(
            chain_id=conf.chain_id, address=mock.address
        )
        start = cursor.last_block + 1
        if start > head:
            return
        end = min(head, start + SCAN_RANGE - 1)
        event = coordinator.events.RandomWordsRequested()
        for log in event.get_logs(from_block=start, to_block=end):
            VrfRequest.objects.get_or_create(
                chain_id=conf.chain_id,
                request_id=int(log["args"]["requestId"]),
                defaults={
                    "consumer": log["args"]["sender"],
                    "num_words": int(log["args"]["numWords"]),
                    "block_number": int(log["blockNumber"]),
                },
            )
        cursor.last_block = end
        cursor.save(update_fields=["last_block", "updated_at"])


def fulfiller_process_once() -> int:
    """Fulfils every open request; returns how many were fulfilled."""
    _check_local()
    _scan_requests()
    conf = chain_settings()
    w3 = get_web3()
    coordinator = coordinator_contract()
    account = signer_account(SenderRole.FULFILLER)
    fulfilled = 0
    open_requests = VrfRequest.objects.filter(
        chain_id=conf.chain_id, fulfilled_at__isnull=True
    ).order_by("request_id")
    for request in open_requests:
        words = [int.from_bytes(os.urandom(32), "big") for _ in range(request.num_words)]
        call = coordinator.functions.fulfillRandomWordsWithOverride(
            int(request.request_id), w3.to_checksum_address(request.consumer), words
        )
        try:
            tx = call.build_transaction(
                {
                    "from": account.address,
                    "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                }
            )
        except ContractLogicError as exc:
            # InvalidRequest: already fulfilled (e.g. by another fulfiller); nothing to do.
            VrfRequest.objects.filter(pk=request.pk).update(
                fulfilled_at=timezone.now(), last_error=str(exc)[:2000]
            )
            continue
        signed = account.sign_transaction(tx)  # type: ignore[arg-type]
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        if receipt["status"] != 1:
            VrfRequest.objects.filter(pk=request.pk).update(last_error="fulfilment reverted")
            continue
        VrfRequest.objects.filter(pk=request.pk).update(
            fulfilled_at=timezone.now(), fulfilled_tx_hash=HexBytes(tx_hash).to_0x_hex()
        )
        fulfilled += 1
        logger.info("Fulfilled VRF request %s", request.request_id)
    return fulfilled


def local_chain_process_once() -> None:
    """Local chain only: every worker pass back to back, in the order an opening needs them
    (send queued transactions, index the request, fulfil it, index the reveal)."""
    from chain.indexer import indexer_process_once
    from chain.outbox import outbox_process_once

    _check_local()
    outbox_process_once()
    indexer_process_once()
    fulfiller_process_once()
    indexer_process_once()
