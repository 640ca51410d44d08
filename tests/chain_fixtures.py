"""Pytest plugin: a real local chain (anvil) with the contracts deployed.

`anvil_rpc` starts one anvil per session (chain id 31337, the default test mnemonic);
`chain` deploys the contracts once per session into a temporary record and points the
settings at it; `chain_snapshot` reverts the chain after each test that uses it."""

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from core.localprocs import ANVIL, anvil_command, free_port, stop, wait_for_http


def rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    response = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout=10
    )
    body = response.json()
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


def anvil_settle(url: str, timeout: float = 5.0) -> None:
    """anvil's automine answers a broadcast before the block exists: wait until its pool is
    empty (automine only), so that the next worker pass can see the receipt."""
    if not rpc(url, "anvil_getAutomine"):
        return
    deadline = time.monotonic() + timeout
    while int(rpc(url, "txpool_status")["pending"], 16) and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.fixture(scope="session")
def anvil_rpc() -> Iterator[str]:
    if not ANVIL.exists():
        pytest.skip("anvil is not installed (run `npm ci`)")
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        anvil_command(port=port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url, proc=proc, json_rpc=True)
        yield url
    finally:
        stop([proc])


@pytest.fixture(scope="session")
def chain_deployment(anvil_rpc: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from django.test import override_settings

    from chain.client import reset_clients
    from chain.deploy import deploy_local

    record = tmp_path_factory.mktemp("deployments") / "31337.json"
    with override_settings(CHAIN_RPC_URL=anvil_rpc, CHAIN_ID=31337, CHAIN_DEPLOYMENT_RECORD=record):
        reset_clients()
        deployment = deploy_local(record_path=record)
    reset_clients()
    return {"rpc_url": anvil_rpc, "record": record, "deployment": deployment}


@pytest.fixture(autouse=True)
def _no_chain_by_default(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests see no deployment unless they ask for the `chain` fixture."""
    settings.CHAIN_DEPLOYMENT_RECORD = (
        tmp_path_factory.getbasetemp() / "no-deployment" / "31337.json"
    )


@pytest.fixture
def chain(
    chain_deployment: dict[str, Any], settings: Any, _no_chain_by_default: None
) -> Iterator[dict[str, Any]]:
    """Settings pointed at the session's anvil + deployment; the chain is reverted afterwards."""
    from chain.client import reset_clients

    settings.CHAIN_RPC_URL = chain_deployment["rpc_url"]
    settings.CHAIN_ID = 31337
    settings.CHAIN_CONFIRMATIONS = 1
    settings.CHAIN_DEPLOYMENT_RECORD = chain_deployment["record"]
    reset_clients()
    url = chain_deployment["rpc_url"]
    snapshot = rpc(url, "evm_snapshot")
    yield chain_deployment
    rpc(url, "evm_setAutomine", [True])
    rpc(url, "evm_revert", [snapshot])
    reset_clients()
