"""Deploy TrackPacks v2 (Brownie script).

    make deploy-local     # the anvil of `make run` at $CHAIN_RPC_URL (chain id 31337)
    make deploy-amoy      # Polygon Amoy (80002)
    make deploy-polygon   # Polygon mainnet (137)

The chain id is read from the node and looked up in CHAINS; any other chain id is refused.
Only 31337 deploys Chainlink's VRFCoordinatorV2_5Mock (which anyone can fulfil with chosen
words); 80002 and 137 use the production VRF v2.5 coordinator and the 500 gwei key hash listed
in Chainlink's "VRF v2.5 Supported Networks" page, and refuse to run if that address has no code.

Roles (CONTRACT_V2.md): admin, minter and operator are three distinct addresses given here; the
constructor grants them and the deployer gets no AccessControl role. The deployer is only the
VRF consumer's Chainlink owner (it guards `setCoordinator`), and hands that over two-step: the
script calls `transferOwnership(governance)`, then governance must call `acceptOwnership()`
(locally the script does it with the governance account, which anvil keeps unlocked). Until
governance accepts, the deployer can still migrate the coordinator: accept promptly.

Environment:
    Live chains (required): DEPLOYER_PRIVATE_KEY, VRF_SUBSCRIPTION_ID, TRACKPACKS_ADMIN,
        TRACKPACKS_MINTER, TRACKPACKS_OPERATOR, TRACKPACKS_GOVERNANCE (RPC URL: AMOY_RPC_URL or
        POLYGON_RPC_URL, read by the network entry). The subscription owner adds the printed
        contract as a consumer (the script does it when the deployer owns the subscription).
    Local defaults: deployer accounts[0], admin/minter/operator/governance accounts[1..4].
    TRACKPACKS_BASE_URI          default http://localhost:8000/metadata/{id}.json
    TRACKPACKS_ROYALTY_RECEIVER  default the admin;  TRACKPACKS_ROYALTY_BPS default 500 (max 1000)
    TRACKPACKS_OPEN_RETRY_DELAY  seconds, default 86400 (at least one day)
    DEMO_CATALOG=1               local only: register 6 demo songs and create demo batch 1
    DEPLOYMENT_RECORD            default data/deployments/<chainid>.json
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from brownie import Contract, TrackPacks, VRFCoordinatorV2_5Mock, accounts, chain, network, web3


@dataclass(frozen=True)
class ChainSpec:
    name: str
    uses_mock: bool
    coordinator: str | None  # None: deploy the mock (local only)
    key_hash: str
    link: str | None  # LINK token address


LOCAL_CHAIN_ID = 31337
# From Chainlink's documentation, VRF v2.5 "Supported Networks", subscription method.
CHAINS: dict[int, ChainSpec] = {
    LOCAL_CHAIN_ID: ChainSpec(
        name="local anvil",
        uses_mock=True,
        coordinator=None,
        # the mock accepts any key hash; Amoy's keeps the record realistic
        key_hash="0x816bedba8a50b294e5cbd47842baf240c2385f2eaf719edbd4f250a137a8c899",
        link=None,
    ),
    80002: ChainSpec(
        name="Polygon Amoy",
        uses_mock=False,
        coordinator="0x343300b5d84D444B2ADc9116FEF1bED02BE49Cf2",
        key_hash="0x816bedba8a50b294e5cbd47842baf240c2385f2eaf719edbd4f250a137a8c899",  # 500 gwei
        link="0x0Fd9e8d3aF1aaee056EB9e802c3A762a667b1904",
    ),
    137: ChainSpec(
        name="Polygon mainnet",
        uses_mock=False,
        coordinator="0xec0Ed46f36576541C75739E915ADbCb3DE24bD77",
        key_hash="0x719ed7d7664abc3001c18aac8130a2265e1e70b7e036ae20f3ca8b92b3154d86",  # 500 gwei
        link="0xb0897686c545045aFc77CF20eC7A532E3120E0F1",
    ),
}

# Mock pricing: 0.1 LINK base fee, 1 gwei gas price, 0.004 ETH per LINK; 10^9 LINK of funding.
MOCK_ARGS = (10**17, 10**9, 4 * 10**15)
MOCK_FUNDING = 10**27
MIN_RETRY_DELAY = 86_400
MAX_ROYALTY_BPS = 1000

DEMO_SONGS = {1: 0, 2: 0, 3: 0, 4: 1, 5: 1, 6: 2}  # token id -> tier
DEMO_WEIGHTS = {0: 60, 1: 25, 2: 5}  # weight per tier
DEMO_BATCH = {"batchId": 1, "price": 10**16, "supply": 1000}

SUBSCRIPTION_ABI = [
    {
        "name": "addConsumer",
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "subId", "type": "uint256"}, {"name": "consumer", "type": "address"}],
        "outputs": [],
    }
]


class DeploymentRefused(Exception):
    """The deployment would be unsafe or is not configured; nothing was deployed."""


def chain_spec(chain_id: int) -> ChainSpec:
    try:
        return CHAINS[chain_id]
    except KeyError:
        known = ", ".join(f"{cid} ({spec.name})" for cid, spec in CHAINS.items())
        raise DeploymentRefused(f"chain id {chain_id} is not supported; known: {known}") from None


@dataclass(frozen=True)
class Roles:
    admin: str
    minter: str
    operator: str
    governance: str


def _required(env: dict, name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise DeploymentRefused(f"{name} must be set for a live chain")
    return value


def resolve_roles(spec: ChainSpec, deployer: str, env: dict) -> Roles:
    """Role addresses from the environment (defaults only on the local chain), checked."""
    if spec.uses_mock:
        defaults = [str(a) for a in accounts[1:5]]
        pick = [env.get(n, "").strip() or d for n, d in zip(_ROLE_VARS, defaults, strict=True)]
    else:
        pick = [_required(env, n) for n in _ROLE_VARS]
    for name, value in zip(_ROLE_VARS, pick, strict=True):
        if not web3.is_address(value) or int(value, 16) == 0:
            raise DeploymentRefused(f"{name}={value!r} is not a non-zero address")
    roles = Roles(*(web3.to_checksum_address(v) for v in pick))
    if len({roles.admin, roles.minter, roles.operator}) != 3:
        raise DeploymentRefused("admin, minter and operator must be three different addresses")
    if not spec.uses_mock and deployer in (roles.admin, roles.minter, roles.operator):
        raise DeploymentRefused("the deployer key must not hold a role on a live chain")
    return roles


_ROLE_VARS = (
    "TRACKPACKS_ADMIN",
    "TRACKPACKS_MINTER",
    "TRACKPACKS_OPERATOR",
    "TRACKPACKS_GOVERNANCE",
)


def deploy(chain_id: int, deployer, env: dict) -> dict:
    """Deploys on the chain `chain_id` names (the caller passes the node's own id) and returns
    the deployment record. Raises DeploymentRefused before sending anything unsafe."""
    spec = chain_spec(chain_id)
    roles = resolve_roles(spec, deployer.address, env)
    retry_delay = int(env.get("TRACKPACKS_OPEN_RETRY_DELAY", "") or MIN_RETRY_DELAY)
    if retry_delay < MIN_RETRY_DELAY:
        raise DeploymentRefused(f"TRACKPACKS_OPEN_RETRY_DELAY must be >= {MIN_RETRY_DELAY}")
    royalty_bps = int(env.get("TRACKPACKS_ROYALTY_BPS", "") or 500)
    if not 0 <= royalty_bps <= MAX_ROYALTY_BPS:
        raise DeploymentRefused(f"TRACKPACKS_ROYALTY_BPS must be within 0..{MAX_ROYALTY_BPS}")
    royalty_receiver = env.get("TRACKPACKS_ROYALTY_RECEIVER", "").strip() or roles.admin
    base_uri = env.get("TRACKPACKS_BASE_URI", "") or "http://localhost:8000/metadata/{id}.json"
    demo_wanted = env.get("DEMO_CATALOG", "") in ("1", "true", "yes")
    if demo_wanted and not spec.uses_mock:
        raise DeploymentRefused("DEMO_CATALOG is for the local chain only")

    tx_opts = {"from": deployer}
    if spec.uses_mock:
        # Brownie's development defaults send gas price 0, which a plain anvil refuses.
        tx_opts["gas_price"] = web3.eth.gas_price
        mock = VRFCoordinatorV2_5Mock.deploy(*MOCK_ARGS, tx_opts)
        sub_id = mock.createSubscription(tx_opts).events["SubscriptionCreated"]["subId"]
        mock.fundSubscription(sub_id, MOCK_FUNDING, tx_opts)
        coordinator = mock.address
    else:
        sub_id = int(_required(env, "VRF_SUBSCRIPTION_ID"))
        coordinator = spec.coordinator
        if len(web3.eth.get_code(coordinator)) == 0:
            raise DeploymentRefused(
                f"no contract at the {spec.name} VRF coordinator {coordinator}: wrong network?"
            )

    tp = TrackPacks.deploy(
        coordinator,
        spec.key_hash,
        sub_id,
        roles.admin,
        roles.minter,
        roles.operator,
        base_uri,
        royalty_receiver,
        royalty_bps,
        retry_delay,
        tx_opts,
    )
    consumer_added = _add_consumer(coordinator, sub_id, tp, tx_opts)

    # Chainlink ownership (setCoordinator) to governance, two-step.
    tp.transferOwnership(roles.governance, tx_opts)
    if spec.uses_mock:
        tp.acceptOwnership({"from": roles.governance, "gas_price": tx_opts["gas_price"]})

    demo = _demo_catalog(tp, roles.admin, tx_opts) if demo_wanted else None
    key_hash_out, _, confirmations, gas_limit = tp.vrfConfig()
    return {
        "chainId": chain_id,
        "chainName": spec.name,
        "network": network.show_active(),
        "trackPacks": tp.address,
        "vrfCoordinator": coordinator,
        "vrfCoordinatorIsMock": spec.uses_mock,
        "deployBlock": tp.tx.block_number,
        "deployTx": tp.tx.txid,
        "keyHash": str(key_hash_out),
        "subscriptionId": str(sub_id),
        "consumerAdded": consumer_added,
        "requestConfirmations": int(confirmations),
        "callbackGasLimit": int(gas_limit),
        "openRetryDelay": retry_delay,
        "linkToken": spec.link,
        "deployer": deployer.address,
        "admin": roles.admin,
        "minter": roles.minter,
        "operator": roles.operator,
        "governance": roles.governance,
        "vrfOwner": str(tp.owner()),
        "vrfOwnershipPending": str(tp.owner()) != roles.governance,
        "baseUri": base_uri,
        "packIdOffset": str(2**128),
        "demoCatalog": demo,
        "artifacts": {
            "TrackPacks": "chain/artifacts/TrackPacks.json",
            "VRFCoordinatorV2_5Mock": "chain/artifacts/VRFCoordinatorV2_5Mock.json",
        },
    }


def _add_consumer(coordinator: str, sub_id: int, tp, tx_opts: dict) -> bool:
    try:
        Contract.from_abi("VRFSubscription", coordinator, SUBSCRIPTION_ABI).addConsumer(
            sub_id, tp, tx_opts
        )
        return True
    except Exception as exc:  # the subscription belongs to someone else
        print(f"could not add the consumer ({exc}); add {tp.address} to subscription {sub_id}")
        return False


def _demo_catalog(tp, admin: str, tx_opts: dict) -> dict:
    opts = {"from": admin, "gas_price": tx_opts["gas_price"]}
    tp.registerSongs(list(DEMO_SONGS), list(DEMO_SONGS.values()), opts)
    weights = [DEMO_WEIGHTS[tier] for tier in DEMO_SONGS.values()]
    start = web3.eth.get_block("latest")["timestamp"]
    tp.createBatch(
        DEMO_BATCH["batchId"],
        DEMO_BATCH["price"],
        DEMO_BATCH["supply"],
        start,
        0,
        list(DEMO_SONGS),
        weights,
        opts,
    )
    return {
        "songs": {str(k): v for k, v in DEMO_SONGS.items()},
        "batch": DEMO_BATCH,
        "weights": weights,
    }


def main() -> None:
    chain_id = chain.id  # what the node says, never the network's name
    spec = chain_spec(chain_id)
    deployer = accounts[0] if spec.uses_mock else accounts.add(os.environ["DEPLOYER_PRIVATE_KEY"])
    print(f"network={network.show_active()} chain_id={chain_id} ({spec.name}) deployer={deployer}")
    record = deploy(chain_id, deployer, dict(os.environ))
    path = Path(os.environ.get("DEPLOYMENT_RECORD") or f"data/deployments/{chain_id}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    tmp.replace(path)
    print(f"TrackPacks {record['trackPacks']} (block {record['deployBlock']}); record: {path}")
    if record["vrfOwnershipPending"]:
        print(
            f"NEXT: governance {record['governance']} must call acceptOwnership() on "
            f"{record['trackPacks']}; until then the deployer can still change the coordinator."
        )
