"""Contract event indexer: persisted cursor, confirmation depth, reorg check on stored hashes.

Each pass, under a row lock on the chain's cursor: compare the hash of the highest stored
block with the node's; on a mismatch walk back over the stored blocks to the newest one the
node still agrees with, undo every event above it (revert handlers, newest first), delete those
events and blocks and move the cursor back. Then scan forward in ranges of at most
CHAIN_INDEXER_RANGE blocks up to `head - CHAIN_CONFIRMATIONS + 1`; each range's events, their
handlers and the cursor move commit in one DB transaction. Events are keyed by
(chain id, tx hash, log index) and applied once.
"""

import logging
from functools import cache
from typing import Any

from django.db import transaction
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from chain.client import TRACKPACKS, get_web3, load_artifact, require_deployment
from chain.config import chain_settings
from chain.events import EventDecoder, dispatch_apply, dispatch_revert
from chain.models import ChainEvent, IndexedBlock, IndexerCursor
from core.errors import ApplicationError, Conflict

logger = logging.getLogger(__name__)

MAX_RANGES_PER_PASS = 20
BLOCKS_KEPT = 2000


@cache
def _decoder() -> EventDecoder:
    return EventDecoder(load_artifact(TRACKPACKS).abi)


def _hex(value: Any) -> str:
    return HexBytes(value).to_0x_hex()


def _lock_cursor(chain_id: int, address: str, start_block: int) -> IndexerCursor:
    IndexerCursor.objects.get_or_create(
        chain_id=chain_id, address=address, defaults={"last_block": start_block - 1}
    )
    return IndexerCursor.objects.select_for_update().get(chain_id=chain_id, address=address)


def _record_logs(chain_id: int, logs: list[Any]) -> tuple[list[ChainEvent], int]:
    """Insert and apply each decoded log once; returns the rows (new or existing) and how
    many were new."""
    events: list[ChainEvent] = []
    created = 0
    blocks: dict[int, str] = {}
    for log in sorted(logs, key=lambda item: (item["blockNumber"], item["logIndex"])):
        if log.get("removed"):
            continue
        decoded = _decoder().decode(log)
        if decoded is None:
            continue
        name, args = decoded
        tx_hash = _hex(log["transactionHash"])
        existing = ChainEvent.objects.filter(
            chain_id=chain_id, tx_hash=tx_hash, log_index=log["logIndex"]
        ).first()
        if existing is not None:
            events.append(existing)
            continue
        event = ChainEvent.objects.create(
            chain_id=chain_id,
            tx_hash=tx_hash,
            log_index=log["logIndex"],
            block_number=log["blockNumber"],
            block_hash=_hex(log["blockHash"]),
            contract_address=Web3.to_checksum_address(log["address"]),
            event_name=name,
            args=args,
        )
        dispatch_apply(event)
        events.append(event)
        created += 1
        blocks[int(log["blockNumber"])] = _hex(log["blockHash"])
    for number, block_hash in blocks.items():
        _store_block(chain_id, number, block_hash)
    return events, created


def _store_block(chain_id: int, number: int, block_hash: str) -> None:
    IndexedBlock.objects.update_or_create(
        chain_id=chain_id, number=number, defaults={"hash": block_hash}
    )


def _rewind_to(chain_id: int, cursor: IndexerCursor, ancestor: int) -> int:
    orphans = list(
        ChainEvent.objects.filter(chain_id=chain_id, block_number__gt=ancestor).order_by(
            "-block_number", "-log_index"
        )
    )
    for event in orphans:
        dispatch_revert(event)
    ChainEvent.objects.filter(pk__in=[e.pk for e in orphans]).delete()
    IndexedBlock.objects.filter(chain_id=chain_id, number__gt=ancestor).delete()
    if cursor.last_block > ancestor:
        cursor.last_block = ancestor
        cursor.save(update_fields=["last_block", "updated_at"])
    return len(orphans)


def _check_reorg(w3: Web3, chain_id: int, cursor: IndexerCursor) -> int:
    """Rewinds to the newest stored block the node agrees with. Returns orphaned events."""
    stored = IndexedBlock.objects.filter(chain_id=chain_id).order_by("-number")
    top = stored.first()
    if top is None or _node_hash(w3, top.number) == top.hash:
        return 0
    ancestor = -1
    for block in stored.iterator():
        if _node_hash(w3, block.number) == block.hash:
            ancestor = block.number
            break
    if ancestor < 0:
        ancestor = require_deployment().trackpacks.block - 1
    removed = _rewind_to(chain_id, cursor, ancestor)
    logger.warning(
        "Reorg on chain %s: rewound to block %s, %s events orphaned", chain_id, ancestor, removed
    )
    return removed


def _node_hash(w3: Web3, number: int) -> str | None:
    try:
        block = w3.eth.get_block(number)
    except Exception as exc:  # a missing block (chain got shorter) is a mismatch
        if isinstance(exc, OSError):
            raise
        return None
    return _hex(block["hash"])


def indexer_process_once() -> int:
    """One indexer pass; returns the number of new events recorded."""
    conf = chain_settings()
    deployment = require_deployment()
    address = deployment.trackpacks.address
    w3 = get_web3()
    with transaction.atomic():
        cursor = _lock_cursor(conf.chain_id, address, deployment.trackpacks.block)
        _check_reorg(w3, conf.chain_id, cursor)
    recorded = 0
    for _ in range(MAX_RANGES_PER_PASS):
        head = w3.eth.block_number
        target = head - conf.confirmations + 1
        with transaction.atomic():
            cursor = _lock_cursor(conf.chain_id, address, deployment.trackpacks.block)
            start = cursor.last_block + 1
            if start > target:
                break
            end = min(start + max(1, _range_size()) - 1, target)
            end_block = w3.eth.get_block(end)
            logs = w3.eth.get_logs({"address": address, "fromBlock": start, "toBlock": end})
            recorded += _record_logs(conf.chain_id, list(logs))[1]
            _store_block(conf.chain_id, end, _hex(end_block["hash"]))
            cursor.last_block = end
            cursor.save(update_fields=["last_block", "updated_at"])
            IndexedBlock.objects.filter(
                chain_id=conf.chain_id, number__lt=end - BLOCKS_KEPT
            ).delete()
        if end >= target:
            break
    return recorded


def _range_size() -> int:
    from django.conf import settings

    return int(settings.CHAIN_INDEXER_RANGE)


def chain_ingest_transaction(*, tx_hash: str) -> list[ChainEvent]:
    """Record and apply the TrackPacks events of one confirmed transaction now (e.g. a fan's
    purchase), through the indexer's exactly-once path; a later pass skips them."""
    conf = chain_settings()
    deployment = require_deployment()
    address = deployment.trackpacks.address
    w3 = get_web3()
    try:
        receipt = w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except (TransactionNotFound, ValueError) as exc:
        raise ApplicationError(
            "Transaction not found (yet) on chain.", code="tx_not_found", status_code=422
        ) from exc
    if (receipt.get("to") or "").lower() != address.lower():
        raise ApplicationError(
            "The transaction did not call the TrackPacks contract.", code="tx_wrong_contract"
        )
    if receipt["status"] != 1:
        raise ApplicationError("The transaction reverted.", code="tx_failed")
    number = int(receipt["blockNumber"])
    head = w3.eth.block_number
    block_hash = _hex(receipt["blockHash"])
    if head - number + 1 < conf.confirmations or _node_hash(w3, number) != block_hash:
        raise Conflict("The transaction is not confirmed yet.", code="tx_not_confirmed")
    with transaction.atomic():
        cursor = _lock_cursor(conf.chain_id, address, deployment.trackpacks.block)
        _check_reorg(w3, conf.chain_id, cursor)
        logs = [log for log in receipt["logs"] if log["address"].lower() == address.lower()]
        events, _ = _record_logs(conf.chain_id, logs)
        _store_block(conf.chain_id, number, block_hash)
    return events
