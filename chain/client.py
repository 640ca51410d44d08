"""The contract registry: artifacts (ABI, bytecode), the deployment record and cached clients.

Deployment record (JSON). `chain.deploy` writes `{"chain_id": int, "contracts": {"TrackPacks":
{"address", "block"}, "VRFCoordinatorV2_5Mock": {"address", "block"}}, "key_hash": "0x..",
"subscription_id": "<int>"}`; the flat record of `scripts/deploy.py` (`chainId`, `trackPacks`,
`deployBlock`, `vrfCoordinator`, `vrfCoordinatorIsMock`, ...) is read as well.
"""

import json
import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from chain.config import chain_settings
from core.errors import ApplicationError

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
TRACKPACKS = "TrackPacks"
COORDINATOR_MOCK = "VRFCoordinatorV2_5Mock"


class ChainNotConfigured(ApplicationError):
    """The detail (file paths, commands to run) is for operators: `str(exc)` and the logs carry
    it; API clients get a generic 503 message."""

    def __init__(self, message: str) -> None:
        super().__init__(
            "The blockchain service is not available right now; try again later.",
            code="chain_not_configured",
            status_code=503,
        )
        self.args = (message,)


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str


@dataclass(frozen=True)
class DeployedContract:
    address: ChecksumAddress
    block: int


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    contracts: dict[str, DeployedContract]
    key_hash: str
    subscription_id: int

    @property
    def trackpacks(self) -> DeployedContract:
        return self.contracts[TRACKPACKS]

    @property
    def coordinator_mock(self) -> DeployedContract | None:
        return self.contracts.get(COORDINATOR_MOCK)

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "contracts": {
                name: {"address": c.address, "block": c.block} for name, c in self.contracts.items()
            },
            "key_hash": self.key_hash,
            "subscription_id": str(self.subscription_id),
        }


@cache
def load_artifact(name: str) -> Artifact:
    path = ARTIFACTS_DIR / f"{name}.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ChainNotConfigured(f"Contract artifact {path} is missing.") from exc
    bytecode = data.get("bytecode") or ""
    if isinstance(bytecode, dict):  # solc's {"object": "..."} shape
        bytecode = bytecode.get("object", "")
    if bytecode and not bytecode.startswith("0x"):
        bytecode = "0x" + bytecode
    return Artifact(name=name, abi=data["abi"], bytecode=bytecode)


def parse_deployment(data: dict[str, Any]) -> Deployment:
    if "trackPacks" in data:  # the record written by scripts/deploy.py (Brownie)
        block = int(data.get("deployBlock") or 0)
        contracts = {
            TRACKPACKS: DeployedContract(
                address=Web3.to_checksum_address(data["trackPacks"]), block=block
            )
        }
        if data.get("vrfCoordinatorIsMock") and data.get("vrfCoordinator"):
            contracts[COORDINATOR_MOCK] = DeployedContract(
                address=Web3.to_checksum_address(data["vrfCoordinator"]), block=block
            )
        return Deployment(
            chain_id=int(data["chainId"]),
            contracts=contracts,
            key_hash=str(data.get("keyHash", "")),
            subscription_id=int(data.get("subscriptionId") or 0),
        )
    contracts = {
        name: DeployedContract(
            address=Web3.to_checksum_address(item["address"]), block=int(item.get("block", 0))
        )
        for name, item in data["contracts"].items()
    }
    return Deployment(
        chain_id=int(data["chain_id"]),
        contracts=contracts,
        key_hash=str(data.get("key_hash", "")),
        subscription_id=int(data.get("subscription_id") or 0),
    )


def read_deployment(path: Path | None = None) -> Deployment | None:
    """The deployment record, parsed once per version of the file (it is read on hot paths:
    every outbox enqueue and wallet call; a stat is all a repeat costs)."""
    path = Path(path or chain_settings().deployment_record)
    try:
        version = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    return _parsed_record(str(path), version)


@lru_cache(maxsize=8)
def _parsed_record(path: str, version: int) -> Deployment:
    return parse_deployment(json.loads(Path(path).read_text()))


def write_deployment(deployment: Deployment, path: Path | None = None) -> None:
    path = Path(path or chain_settings().deployment_record)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=2) + "\n")
    tmp.replace(path)


_lock = threading.Lock()
_clients: dict[tuple[str, int], Web3] = {}


def get_web3(*, timeout: int | None = None) -> Web3:
    """A Web3 over HTTP for CHAIN_RPC_URL, cached per (url, timeout)."""
    conf = chain_settings()
    key = (conf.rpc_url, timeout or conf.rpc_timeout)
    with _lock:
        w3 = _clients.get(key)
        if w3 is None:
            w3 = Web3(
                Web3.HTTPProvider(
                    conf.rpc_url,
                    request_kwargs={"timeout": key[1]},
                    exception_retry_configuration=None,
                )
            )
            _clients[key] = w3
    return w3


def reset_clients() -> None:
    """Forget cached clients and records (tests, settings changes)."""
    with _lock:
        _clients.clear()
    load_artifact.cache_clear()
    _parsed_record.cache_clear()


def require_deployment() -> Deployment:
    deployment = read_deployment()
    if deployment is None:
        raise ChainNotConfigured(
            f"No deployment record at {chain_settings().deployment_record}; "
            "run `manage.py chain_deploy_local` (local chain) or deploy the contracts."
        )
    if deployment.chain_id != settings.CHAIN_ID:
        raise ChainNotConfigured(
            f"The deployment record is for chain {deployment.chain_id}, not {settings.CHAIN_ID}."
        )
    return deployment


def trackpacks_contract(w3: Web3 | None = None) -> Contract:
    deployment = require_deployment()
    return (w3 or get_web3()).eth.contract(
        address=deployment.trackpacks.address, abi=load_artifact(TRACKPACKS).abi
    )


def coordinator_contract(w3: Web3 | None = None) -> Contract:
    deployment = require_deployment()
    mock = deployment.coordinator_mock
    if mock is None:
        raise ChainNotConfigured("The deployment record has no mock VRF coordinator.")
    return (w3 or get_web3()).eth.contract(
        address=mock.address, abi=load_artifact(COORDINATOR_MOCK).abi
    )
