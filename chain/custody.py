"""Custodial holders: keyless addresses the contract derives from a user id.

`TrackPacks.custodialAddress(userId)` is the low 20 bytes of
`keccak256(abi.encode(CUSTODY_DOMAIN, contract, userId))`. Nobody knows a private key for such
an address (that would take a keccak preimage), so no real wallet can ever be one, and the
contract's operator and minter roles can act only on these addresses, never on a fan's own
wallet. The backend holds no custodial keys at all: the operator opens packs (`openPackFor`)
and withdraws songs (`withdrawFor`) by user id and pays the gas."""

from functools import lru_cache

from eth_abi.abi import encode
from web3 import Web3

CUSTODY_DOMAIN = Web3.keccak(text="TrackPacks.custodial.v1")


@lru_cache(maxsize=8192)
def derive_custodial_address(*, contract: str, user_id: int) -> str:
    """The contract's `custodialAddress(user_id)`, EIP-55 checksummed (no RPC call)."""
    if user_id <= 0:
        raise ValueError("custodial user ids are > 0")
    digest = Web3.keccak(
        encode(
            ["bytes32", "address", "uint256"],
            [CUSTODY_DOMAIN, Web3.to_checksum_address(contract), user_id],
        )
    )
    return str(Web3.to_checksum_address(digest[-20:]))


def custodial_address(*, user_id: int) -> str | None:
    """The user's custodial address on the deployed contract; None when nothing is deployed."""
    from chain.client import ChainNotConfigured, require_deployment

    try:
        contract = require_deployment().trackpacks.address
    except ChainNotConfigured:
        return None
    return derive_custodial_address(contract=contract, user_id=user_id)


def operation_ref(reference: str) -> str:
    """The on-chain idempotency reference (`opRef`) of an outbox call: keccak of its outbox
    reference, so every re-send of that call carries the same ref and runs at most once."""
    return Web3.keccak(text=f"trackpacks-op:{reference}").to_0x_hex()
