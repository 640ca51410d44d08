from typing import Any

import pytest
from web3 import Web3

from chain.client import get_web3, trackpacks_contract
from chain.config import SenderRole, signer_account
from tests.chain_fixtures import rpc


class ChainHelper:
    def __init__(self, info: dict[str, Any]) -> None:
        self.url: str = info["rpc_url"]
        self.deployment = info["deployment"]

    @property
    def w3(self) -> Web3:
        return get_web3()

    @property
    def contract(self) -> Any:
        return trackpacks_contract()

    def account(self, index: int) -> str:
        return str(list(self.w3.eth.accounts)[index])

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        return rpc(self.url, method, params)

    def send(self, role: str, function: str, *args: Any, value: int = 0) -> Any:
        """Sends a contract call directly (not through the outbox) and waits for it."""
        account = signer_account(SenderRole(role))
        call = getattr(self.contract.functions, function)(*args)
        tx = call.build_transaction(
            {
                "from": account.address,
                "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
                "value": value,
            }
        )
        signed = account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
        assert receipt["status"] == 1, f"{function} reverted"
        return receipt

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", [hex(blocks)])


@pytest.fixture
def chainh(chain: dict[str, Any]) -> ChainHelper:
    return ChainHelper(chain)
