"""Calls the fans' own wallets make (e.g. `buyPacks`, `openPack`): address and calldata."""

from typing import Any

from chain.client import require_deployment, trackpacks_contract


def contract_address() -> str:
    return str(require_deployment().trackpacks.address)


def encode_call(function: str, args: list[Any]) -> str:
    """ABI-encoded calldata (0x hex) for `function(*args)` on TrackPacks; raises on bad args."""
    data: str = trackpacks_contract().encode_abi(function, args=list(args))
    return data
