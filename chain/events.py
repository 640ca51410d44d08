"""Registry of contract-event appliers and their reorg undo, plus ABI-driven log decoding.

Handlers run inside the indexer's DB transaction, exactly once per (tx hash, log index):
`on_event(name)` when the event is recorded, `on_revert(name)` when a reorg orphans it."""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from eth_utils.abi import event_abi_to_log_topic
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.events import get_event_data

from chain.models import ChainEvent

EventHandler = Callable[[ChainEvent], None]

_appliers: dict[str, list[EventHandler]] = defaultdict(list)
_reverters: dict[str, list[EventHandler]] = defaultdict(list)


def on_event(event_name: str) -> Callable[[EventHandler], EventHandler]:
    def register(func: EventHandler) -> EventHandler:
        if func not in _appliers[event_name]:
            _appliers[event_name].append(func)
        return func

    return register


def on_revert(event_name: str) -> Callable[[EventHandler], EventHandler]:
    def register(func: EventHandler) -> EventHandler:
        if func not in _reverters[event_name]:
            _reverters[event_name].append(func)
        return func

    return register


def dispatch_apply(event: ChainEvent) -> None:
    for handler in _appliers.get(event.event_name, []):
        handler(event)


def dispatch_revert(event: ChainEvent) -> None:
    for handler in _reverters.get(event.event_name, []):
        handler(event)


def _normalize(abi_type: str, value: Any) -> Any:
    if abi_type.endswith("]"):
        inner = abi_type[: abi_type.rindex("[")]
        return [_normalize(inner, item) for item in value]
    if abi_type == "address":
        return Web3.to_checksum_address(value)
    if abi_type.startswith("bytes"):
        return HexBytes(value).to_0x_hex()
    if abi_type.startswith(("uint", "int")):
        return str(int(value))
    if abi_type == "bool":
        return bool(value)
    if isinstance(value, tuple | list):
        return [_normalize("", item) for item in value]
    return value


def normalize_args(event_abi: dict[str, Any], args: Any) -> dict[str, Any]:
    """JSON-safe args: checksummed addresses, 0x-hex bytes, integers as decimal strings."""
    return {
        item["name"]: _normalize(item["type"], args[item["name"]])
        for item in event_abi.get("inputs", [])
    }


class EventDecoder:
    """Decodes any event of one contract ABI from raw logs."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self._by_topic: dict[bytes, dict[str, Any]] = {
            bytes(event_abi_to_log_topic(item)): item  # type: ignore[arg-type]
            for item in abi
            if item.get("type") == "event" and not item.get("anonymous")
        }
        self._codec = Web3().codec

    def decode(self, log: Any) -> tuple[str, dict[str, Any]] | None:
        topics = log.get("topics") or []
        if not topics:
            return None
        event_abi = self._by_topic.get(bytes(HexBytes(topics[0])))
        if event_abi is None:
            return None
        data = get_event_data(self._codec, event_abi, log)
        return str(event_abi["name"]), normalize_args(event_abi, data["args"])
