"""Contract event indexer: persisted cursor, confirmation depth, reorg check on stored hashes.

Each pass reads the node's head first. Then, under a row lock on the chain's cursor, it
compares the hash of the highest stored block with the node's:
- the node has not got that block yet (its head is below it, or it answers "not found"): the
  node is behind, not reorganised; nothing changes and the pass ends (retry later);
- the hashes differ: walk back over the stored blocks (at most CHAIN_MAX_REORG_DEPTH) to the
  newest one the node still agrees with, undo every event above it (revert handlers, newest
  first), delete those events and blocks and move the cursor back;
- no stored block within the bound matches, or a revert handler cannot undo its event: the
  indexer HALTS (persisted on the cursor with the reason, `/api/v1/health/` turns red, an
  alert is logged) and history is left untouched until an operator runs
  `manage.py chain_indexer_resume`.
Then it scans forward in ranges of at most CHAIN_INDEXER_RANGE blocks up to
`head - CHAIN_CONFIRMATIONS + 1`; each range's events, their handlers and the cursor move
commit in one DB transaction. Events are keyed by (chain id, tx hash, log index) and applied
once.
"""

import logging
from functools import cache
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import BlockNotFound, TransactionNotFound

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


class IndexerHalt(Exception):
    """The indexer must stop and wait for an operator; the message says why."""


class NodeBehind(Exception):
    """The node has not got a block we already rely on: retry later, change nothing."""


def _revert_guarded(event: ChainEvent) -> None:
    try:
        with transaction.atomic():
            dispatch_revert(event)
    except OperationalError:
        raise  # a lock timeout or lost connection: the next pass tries again
    except Exception as exc:
        raise IndexerHalt(
            f"cannot undo {event.event_name} of tx {event.tx_hash} (log {event.log_index}, "
            f"block {event.block_number}): {type(exc).__name__}: {exc}"
        ) from exc


def _rewind_to(chain_id: int, cursor: IndexerCursor, ancestor: int) -> int:
    orphans = list(
        ChainEvent.objects.filter(chain_id=chain_id, block_number__gt=ancestor).order_by(
            "-block_number", "-log_index"
        )
    )
    for event in orphans:
        _revert_guarded(event)
    ChainEvent.objects.filter(pk__in=[e.pk for e in orphans]).delete()
    IndexedBlock.objects.filter(chain_id=chain_id, number__gt=ancestor).delete()
    if cursor.last_block > ancestor:
        cursor.last_block = ancestor
    cursor.rewind_accepted = False
    cursor.save(update_fields=["last_block", "rewind_accepted", "updated_at"])
    return len(orphans)


def _find_ancestor(w3: Web3, chain_id: int, top: IndexedBlock, bound: int | None) -> int:
    """The newest stored block (at most `bound` below `top`) the node agrees with."""
    stored = IndexedBlock.objects.filter(chain_id=chain_id, number__lt=top.number)
    if bound is not None:
        stored = stored.filter(number__gte=top.number - bound)
    for block in stored.order_by("-number").iterator():
        node_hash = _node_hash(w3, block.number)
        if node_hash is None:
            raise NodeBehind(f"block {block.number} not found")
        if node_hash == block.hash:
            return int(block.number)
    if bound is None:
        return require_deployment().trackpacks.block - 1
    deeper = IndexedBlock.objects.filter(chain_id=chain_id, number__lt=top.number - bound)
    if deeper.exists():
        raise IndexerHalt(
            f"reorg deeper than CHAIN_MAX_REORG_DEPTH={bound}: no stored block in "
            f"[{top.number - bound}, {top.number}] matches the node's chain"
        )
    raise IndexerHalt(
        f"no stored block matches the node's chain (block {top.number} is {top.hash} here); "
        "a wrong CHAIN_RPC_URL or a fork?"
    )


def _check_reorg(w3: Web3, chain_id: int, cursor: IndexerCursor, head: int) -> int:
    """Rewinds to the newest stored block the node agrees with. Returns orphaned events.
    Raises NodeBehind (retry later) or IndexerHalt (stop for an operator)."""
    top = IndexedBlock.objects.filter(chain_id=chain_id).order_by("-number").first()
    if top is None:
        return 0
    if top.number > head:
        raise NodeBehind(f"head {head} is below indexed block {top.number}")
    node_hash = _node_hash(w3, top.number)
    if node_hash is None:
        raise NodeBehind(f"block {top.number} not found")
    if node_hash == top.hash:
        return 0
    bound = None if cursor.rewind_accepted else max_reorg_depth()
    ancestor = _find_ancestor(w3, chain_id, top, bound)
    removed = _rewind_to(chain_id, cursor, ancestor)
    logger.warning(
        "Reorg on chain %s: rewound from block %s to %s, %s events orphaned",
        chain_id,
        top.number,
        ancestor,
        removed,
    )
    return removed


def max_reorg_depth() -> int:
    return max(1, int(settings.CHAIN_MAX_REORG_DEPTH))


def _node_hash(w3: Web3, number: int) -> str | None:
    """The node's hash of block `number`, None when it does not have that block."""
    try:
        block = w3.eth.get_block(number)
    except BlockNotFound:
        return None
    return _hex(block["hash"])


def indexer_halt(*, chain_id: int, address: str, reason: str) -> None:
    """Stops indexing for good (until `chain_indexer_resume`), with an alert."""
    with transaction.atomic():
        cursor = IndexerCursor.objects.select_for_update().get(chain_id=chain_id, address=address)
        if cursor.halted_at is not None:
            return
        cursor.halted_at = timezone.now()
        cursor.halt_reason = reason[:4000]
        cursor.save(update_fields=["halted_at", "halt_reason", "updated_at"])
    logger.critical("ALERT: chain indexer halted on chain %s (%s): %s", chain_id, address, reason)


def indexer_resume(*, chain_id: int, address: str, accept_rewind: bool = False) -> bool:
    """Clears a halt; with `accept_rewind` the next reorg check may rewind without a bound
    (to the newest matching stored block, or to the deployment block). False if not halted."""
    with transaction.atomic():
        cursor = (
            IndexerCursor.objects.select_for_update()
            .filter(chain_id=chain_id, address=address)
            .first()
        )
        if cursor is None or cursor.halted_at is None:
            return False
        logger.warning(
            "Chain indexer on chain %s resumed (accept_rewind=%s); it was halted: %s",
            chain_id,
            accept_rewind,
            cursor.halt_reason,
        )
        cursor.halted_at = None
        cursor.halt_reason = ""
        cursor.rewind_accepted = accept_rewind
        cursor.save(update_fields=["halted_at", "halt_reason", "rewind_accepted", "updated_at"])
    return True


OK, BEHIND, HALTED = "ok", "behind", "halted"


def _reconcile(w3: Web3, chain_id: int, address: str, start_block: int, head: int) -> str:
    """The reorg check of one pass: OK when events may be recorded, BEHIND when the node has
    to catch up first, HALTED when indexing waits for an operator."""
    try:
        with transaction.atomic():
            cursor = _lock_cursor(chain_id, address, start_block)
            if cursor.halted_at is not None:
                return HALTED
            _check_reorg(w3, chain_id, cursor, head)
    except NodeBehind as behind:
        logger.info("Chain node behind the indexer on chain %s: %s; retry later", chain_id, behind)
        return BEHIND
    except IndexerHalt as halt:
        indexer_halt(chain_id=chain_id, address=address, reason=str(halt))
        return HALTED
    return OK


def indexer_process_once() -> int:
    """One indexer pass; returns the number of new events recorded."""
    conf = chain_settings()
    deployment = require_deployment()
    address = deployment.trackpacks.address
    start_block = deployment.trackpacks.block
    w3 = get_web3()
    head = w3.eth.block_number
    if _reconcile(w3, conf.chain_id, address, start_block, head) != OK:
        return 0
    target = head - conf.confirmations + 1
    recorded = 0
    for _ in range(MAX_RANGES_PER_PASS):
        with transaction.atomic():
            cursor = _lock_cursor(conf.chain_id, address, start_block)
            start = cursor.last_block + 1
            if start > target or cursor.halted_at is not None:
                break
            end = min(start + max(1, _range_size()) - 1, target)
            scanned = _scan_range(
                w3, conf.chain_id, address, start, end, dense_from=target - max_reorg_depth() + 1
            )
            if scanned is None:
                break
            recorded += scanned
            cursor.last_block = end
            cursor.save(update_fields=["last_block", "updated_at"])
            IndexedBlock.objects.filter(
                chain_id=conf.chain_id, number__lt=end - BLOCKS_KEPT
            ).delete()
        if end >= target:
            break
    return recorded


def _scan_range(
    w3: Web3, chain_id: int, address: ChecksumAddress, start: int, end: int, *, dense_from: int
) -> int | None:
    """Records the events of blocks start..end; None when the node cannot serve them
    consistently yet (a node behind a load balancer), so nothing is recorded. The hash of every
    block from `dense_from` up is stored, so that a shallow reorg right after a long catch-up
    still finds a matching block within CHAIN_MAX_REORG_DEPTH (instead of halting)."""
    try:
        end_block = w3.eth.get_block(end)
        hashes = {end: _hex(end_block["hash"]), end - 1: _hex(end_block["parentHash"])}
        for number in range(end - 2, max(start, dense_from) - 1, -1):
            hashes[number] = _hex(w3.eth.get_block(number)["hash"])
    except BlockNotFound:
        logger.info("Block %s..%s not found on chain %s yet; retrying later", start, end, chain_id)
        return None
    logs = list(w3.eth.get_logs({"address": address, "fromBlock": start, "toBlock": end}))
    if any(
        _hex(log["blockHash"]) != hashes.get(int(log["blockNumber"]), _hex(log["blockHash"]))
        for log in logs
    ):
        logger.info("Blocks %s..%s changed during the scan on chain %s", start, end, chain_id)
        return None
    recorded = _record_logs(chain_id, logs)[1]
    for number, block_hash in hashes.items():
        if number >= start:
            _store_block(chain_id, number, block_hash)
    return recorded


def _range_size() -> int:
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
    state = _reconcile(w3, conf.chain_id, address, deployment.trackpacks.block, head)
    if state == BEHIND:
        raise Conflict("The transaction is not confirmed yet.", code="tx_not_confirmed")
    with transaction.atomic():
        cursor = _lock_cursor(conf.chain_id, address, deployment.trackpacks.block)
        if state == HALTED or cursor.halted_at is not None:
            raise ApplicationError(
                "Chain indexing is paused; try again later.",
                code="chain_indexer_paused",
                status_code=503,
            )
        logs = [log for log in receipt["logs"] if log["address"].lower() == address.lower()]
        events, _ = _record_logs(conf.chain_id, logs)
        _store_block(conf.chain_id, number, block_hash)
    return events
