from collections.abc import Iterator
from functools import cached_property
from typing import Any

import pytest
from web3 import Web3

from chain.client import TRACKPACKS, load_artifact, reset_clients
from chain.config import SenderRole, signer_account
from tests.chain.rpc_proxy import RpcProxy
from tests.chain_fixtures import rpc


class ChainHelper:
    def __init__(self, info: dict[str, Any]) -> None:
        self.url: str = info["rpc_url"]
        self.deployment = info["deployment"]

    @cached_property
    def w3(self) -> Web3:
        """Straight to anvil: the truth, whatever the app's RPC (maybe a faulty proxy) says."""
        return Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 10}))

    @cached_property
    def contract(self) -> Any:
        return self.w3.eth.contract(
            address=self.deployment.trackpacks.address, abi=load_artifact(TRACKPACKS).abi
        )

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


@pytest.fixture
def rpc_proxy(chain: dict[str, Any], settings: Any) -> Iterator[RpcProxy]:
    """The app talks to anvil through a proxy that injects faults (see rpc_proxy.py)."""
    proxy = RpcProxy(chain["rpc_url"])
    settings.CHAIN_RPC_URL = proxy.url
    reset_clients()
    yield proxy
    proxy.close()
    reset_clients()
