"""Rebuild what the indexer derives (events, balances, order packs, openings) from the chain
alone, in memory, and list every difference from the live database.

Used by `manage.py chain_rebuild_check` after a halt, a deep reorg or a restore from backup:
it never writes. The live state is compared at the indexer cursor's height, so the events
the indexer has not reached yet are not reported."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3

from chain.balances import ZERO_ADDRESS
from chain.indexer import _decoder
from chain.models import ChainEvent, TokenBalance

if TYPE_CHECKING:
    from payments.models import Order


@dataclass
class ChainReplay:
    """The state the chain's events imply, block by block up to `to_block`."""

    to_block: int
    events: set[tuple[str, int]] = field(default_factory=set)
    balances: Counter[tuple[str, int]] = field(default_factory=Counter)
    purchases: dict[str, dict[str, Any]] = field(default_factory=dict)
    mints: dict[str, dict[str, Any]] = field(default_factory=dict)
    requested: set[int] = field(default_factory=set)
    opened: dict[int, list[int]] = field(default_factory=dict)

    def apply(self, name: str, args: dict[str, Any], tx_hash: str, log_index: int) -> None:
        self.events.add((tx_hash, log_index))
        if name == "TransferSingle":
            self._transfer(args["from"], args["to"], int(args["id"]), int(args["value"]))
        elif name == "TransferBatch":
            for token_id, value in zip(args["ids"], args["values"], strict=True):
                self._transfer(args["from"], args["to"], int(token_id), int(value))
        elif name == "PacksPurchased":
            self.purchases.setdefault(str(args["orderRef"]).lower(), args)
        elif name == "PacksMinted":
            self.mints.setdefault(str(args["orderRef"]).lower(), args)
        elif name == "PackOpenRequested":
            self.requested.add(int(args["requestId"]))
        elif name == "PackOpenRetried":
            self.requested.discard(int(args["oldRequestId"]))
            self.requested.add(int(args["newRequestId"]))
        elif name == "PackOpened":
            self.opened[int(args["requestId"])] = [int(song) for song in args["songIds"]]

    def _transfer(self, sender: str, receiver: str, token_id: int, value: int) -> None:
        if sender != ZERO_ADDRESS:
            self.balances[(sender, token_id)] -= value
        if receiver != ZERO_ADDRESS:
            self.balances[(receiver, token_id)] += value


def chain_replay(
    *, w3: Web3, address: ChecksumAddress, from_block: int, to_block: int, range_size: int
) -> ChainReplay:
    """Every TrackPacks event from `from_block` to `to_block` (eth_getLogs), applied in order."""
    replay = ChainReplay(to_block=to_block)
    start = from_block
    while start <= to_block:
        end = min(start + max(1, range_size) - 1, to_block)
        logs = w3.eth.get_logs({"address": address, "fromBlock": start, "toBlock": end})
        for log in sorted(logs, key=lambda item: (item["blockNumber"], item["logIndex"])):
            decoded = _decoder().decode(log)
            if decoded is not None and not log.get("removed"):
                tx_hash = HexBytes(log["transactionHash"]).to_0x_hex()
                replay.apply(decoded[0], decoded[1], tx_hash, int(log["logIndex"]))
        start = end + 1
    return replay


def _event_differences(replay: ChainReplay, chain_id: int) -> list[str]:
    live = set(
        ChainEvent.objects.filter(chain_id=chain_id, block_number__lte=replay.to_block)
        .values_list("tx_hash", "log_index")
        .iterator()
    )
    missing = sorted(replay.events - live)
    extra = sorted(live - replay.events)
    return [f"event {tx}:{index} is on chain but not indexed" for tx, index in missing] + [
        f"event {tx}:{index} is indexed but not on chain (orphan)" for tx, index in extra
    ]


def _balance_differences(replay: ChainReplay) -> list[str]:
    live = {
        (row.address, int(row.token_id)): int(row.balance)
        for row in TokenBalance.objects.all().iterator()
    }
    keys = {key for key, value in replay.balances.items() if value} | {
        key for key, value in live.items() if value
    }
    return [
        f"balance of {holder} in token {token_id}: chain {replay.balances[(holder, token_id)]}, "
        f"database {live.get((holder, token_id), 0)}"
        for holder, token_id in sorted(keys)
        if replay.balances[(holder, token_id)] != live.get((holder, token_id), 0)
    ]


def _order_differences(replay: ChainReplay) -> list[str]:
    from payments.models import Order

    differences: list[str] = []
    refs = set(replay.purchases) | set(replay.mints)
    orders = Order.objects.filter(order_ref__in=refs).prefetch_related("packs")
    by_ref = {order.order_ref.lower(): order for order in orders}
    for ref in sorted(refs):
        order = by_ref.get(ref)
        if order is None:
            continue  # a reference no order of ours carries: nothing was issued for it
        expected = _packs_the_chain_gives(replay, ref, order)
        issued = len(order.packs.all())
        if expected is not None and issued != expected:
            differences.append(
                f"order {order.pk} ({order.status}): chain pays for {expected} pack(s), "
                f"database issued {issued}"
            )
    with_packs = Order.objects.filter(packs__isnull=False).distinct()
    for order in with_packs.exclude(order_ref__in=refs).iterator():
        differences.append(
            f"order {order.pk} ({order.status}) has packs but no purchase or mint on chain"
        )
    return differences


def _packs_the_chain_gives(replay: ChainReplay, ref: str, order: "Order") -> int | None:
    from payments.services import crypto_purchase_problem, purchase_from_event_args

    if ref in replay.mints:
        return int(replay.mints[ref]["quantity"])
    args = replay.purchases[ref]
    purchase = purchase_from_event_args(args, tx_hash="")
    if crypto_purchase_problem(order=order, purchase=purchase) is not None:
        return None  # flagged for review by the indexer; packs are an operator's decision
    return int(args["quantity"])


def _pack_differences(replay: ChainReplay) -> list[str]:
    from trackpacks.models import PACK_ID_OFFSET, Pack

    held: Counter[tuple[str, int]] = Counter()
    # A pack is burned on chain when its open request is; until then its holder holds it.
    for holder, batch_id in (
        Pack.objects.exclude(opening__request_id__isnull=False)
        .values_list("holder_address", "batch_id")
        .iterator()
    ):
        held[(Web3.to_checksum_address(holder), PACK_ID_OFFSET + batch_id)] += 1
    on_chain = {
        key: value for key, value in replay.balances.items() if key[1] >= PACK_ID_OFFSET and value
    }
    differences = []
    for holder, token_id in sorted(set(on_chain) | set(held)):
        chain_count, live_count = on_chain.get((holder, token_id), 0), held[(holder, token_id)]
        if chain_count != live_count:
            differences.append(
                f"packs of batch {token_id - PACK_ID_OFFSET} held by {holder}: "
                f"chain {chain_count}, database {live_count}"
            )
    return differences


def _opening_differences(replay: ChainReplay) -> list[str]:
    from trackpacks.models import Opening

    differences: list[str] = []
    revealed: dict[int, list[int]] = defaultdict(list)
    requested: set[int] = set()
    for raw_request, token_id in (
        Opening.objects.filter(request_id__isnull=False)
        .values_list("request_id", "revealed__song__token_id")
        .order_by("request_id", "revealed__position")
        .iterator()
    ):
        request_id = int(raw_request or 0)
        requested.add(request_id)
        if token_id is not None:
            revealed[request_id].append(int(token_id))
    for request_id in sorted(replay.requested - requested):
        differences.append(f"open request {request_id} is on chain but no opening has it")
    for request_id in sorted(requested - replay.requested):
        differences.append(f"opening with request {request_id} has no open request on chain")
    for request_id in sorted(set(replay.opened) | set(revealed)):
        chain_songs = replay.opened.get(request_id, [])
        if chain_songs != revealed.get(request_id, []):
            differences.append(
                f"opening {request_id}: chain drew {chain_songs}, "
                f"database shows {revealed.get(request_id, [])}"
            )
    return differences


def rebuild_differences(*, replay: ChainReplay, chain_id: int) -> list[str]:
    """Every difference between the replayed chain state and the live database."""
    return [
        *_event_differences(replay, chain_id),
        *_balance_differences(replay),
        *_order_differences(replay),
        *_pack_differences(replay),
        *_opening_differences(replay),
    ]
