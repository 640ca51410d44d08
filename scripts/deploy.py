"""Deploy TrackPacks (Brownie script).

    make deploy-local   # anvil already running at $CHAIN_RPC_URL (network `local-anvil`)
    make deploy-amoy    # Polygon Amoy (network `amoy`)

Local chain (chain id 31337): deploys Chainlink's VRFCoordinatorV2_5Mock, creates and funds a
subscription, deploys TrackPacks and adds it as consumer. Amoy: uses the real VRF v2.5
coordinator and an existing subscription (`VRF_SUBSCRIPTION_ID`) whose owner must add the
printed contract address as a consumer (the script tries when the deployer owns it).

Environment (all optional unless noted):
    DEPLOYMENT_RECORD         where to write the record (default data/deployments/<chainid>.json)
    TRACKPACKS_ADMIN          DEFAULT_ADMIN_ROLE holder (default: deployer)
    TRACKPACKS_MINTER         MINTER_ROLE holder, comma-separated for several (default: deployer)
    TRACKPACKS_OPERATOR       OPERATOR_ROLE holder, comma-separated for several (default: deployer)
    TRACKPACKS_BASE_URI       default http://localhost:8000/metadata/{id}.json
    TRACKPACKS_ROYALTY_RECEIVER / TRACKPACKS_ROYALTY_BPS   default deployer / 500
    DEMO_CATALOG=1            register 6 demo songs and create demo batch 1
    Amoy only (required): AMOY_RPC_URL (read by the network entry), DEPLOYER_PRIVATE_KEY,
    VRF_SUBSCRIPTION_ID
"""

import json
import os
from pathlib import Path

from brownie import Contract, TrackPacks, VRFCoordinatorV2_5Mock, accounts, chain, network, web3

AMOY_CHAIN_ID = 80002
AMOY_COORDINATOR = "0x343300b5d84D444B2ADc9116FEF1bED02BE49Cf2"
AMOY_KEY_HASH = (
    "0x816bedba8a50b294e5cbd47842baf240c2385f2eaf719edbd4f250a137a8c899"  # 500 gwei lane
)
AMOY_LINK = "0x0Fd9e8d3aF1aaee056EB9e802c3A762a667b1904"
LOCAL_KEY_HASH = AMOY_KEY_HASH  # the mock accepts any key hash

# Mock pricing: 0.1 LINK base fee, 1 gwei gas price, 0.004 ETH per LINK. 10^9 LINK of funding
# covers millions of local fulfilments.
MOCK_BASE_FEE = 10**17
MOCK_GAS_PRICE = 10**9
MOCK_WEI_PER_UNIT_LINK = 4 * 10**15
MOCK_FUNDING = 10**27

DEMO_SONGS = {
    1: 0,
    2: 0,
    3: 0,
    4: 1,
    5: 1,
    6: 2,
}  # token id -> tier (0 common, 1 rare, 2 legendary)
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


def _addresses(var: str, default: str) -> list[str]:
    raw = os.environ.get(var, "").strip()
    return [a.strip() for a in raw.split(",") if a.strip()] or [default]


def main() -> None:
    chain_id = chain.id
    local = chain_id != AMOY_CHAIN_ID
    deployer = accounts[0] if local else accounts.add(os.environ["DEPLOYER_PRIVATE_KEY"])
    tx_opts = {"from": deployer}
    if local:
        # Brownie's development defaults send gas price 0, which a plain anvil
        # (base fee 1 gwei) refuses.
        tx_opts["gas_price"] = web3.eth.gas_price
    print(f"network={network.show_active()} chain_id={chain_id} deployer={deployer}")

    mock = None
    if local:
        mock = VRFCoordinatorV2_5Mock.deploy(
            MOCK_BASE_FEE, MOCK_GAS_PRICE, MOCK_WEI_PER_UNIT_LINK, tx_opts
        )
        sub_id = mock.createSubscription(tx_opts).events["SubscriptionCreated"]["subId"]
        mock.fundSubscription(sub_id, MOCK_FUNDING, tx_opts)
        coordinator, key_hash = mock.address, LOCAL_KEY_HASH
    else:
        sub_id = int(os.environ["VRF_SUBSCRIPTION_ID"])
        coordinator, key_hash = AMOY_COORDINATOR, AMOY_KEY_HASH

    base_uri = os.environ.get("TRACKPACKS_BASE_URI", "http://localhost:8000/metadata/{id}.json")
    royalty_receiver = os.environ.get("TRACKPACKS_ROYALTY_RECEIVER", deployer.address)
    royalty_bps = int(os.environ.get("TRACKPACKS_ROYALTY_BPS", "500"))
    tp = TrackPacks.deploy(
        coordinator, key_hash, sub_id, deployer, base_uri, royalty_receiver, royalty_bps, tx_opts
    )
    deploy_block = tp.tx.block_number

    consumer_added = False
    if mock is not None:
        mock.addConsumer(sub_id, tp, tx_opts)
        consumer_added = True
    else:
        try:
            Contract.from_abi("VRFSubscription", coordinator, SUBSCRIPTION_ABI).addConsumer(
                sub_id, tp, tx_opts
            )
            consumer_added = True
        except Exception as exc:  # the subscription belongs to someone else
            print(
                f"could not add the consumer ({exc}); "
                f"add {tp.address} to subscription {sub_id} in the VRF UI"
            )

    minters = _addresses("TRACKPACKS_MINTER", deployer.address)
    operators = _addresses("TRACKPACKS_OPERATOR", deployer.address)
    for account in minters:
        tp.grantRole(tp.MINTER_ROLE(), account, tx_opts)
    for account in operators:
        tp.grantRole(tp.OPERATOR_ROLE(), account, tx_opts)

    demo = None
    if os.environ.get("DEMO_CATALOG", "") in ("1", "true", "yes"):
        tp.registerSongs(list(DEMO_SONGS), list(DEMO_SONGS.values()), tx_opts)
        weights = [DEMO_WEIGHTS[tier] for tier in DEMO_SONGS.values()]
        tp.createBatch(
            DEMO_BATCH["batchId"],
            DEMO_BATCH["price"],
            DEMO_BATCH["supply"],
            True,
            list(DEMO_SONGS),
            weights,
            tx_opts,
        )
        demo = {
            "songs": {str(k): v for k, v in DEMO_SONGS.items()},
            "batch": DEMO_BATCH,
            "weights": weights,
        }

    admin = os.environ.get("TRACKPACKS_ADMIN", deployer.address)
    if admin.lower() != deployer.address.lower():
        tp.grantRole(tp.DEFAULT_ADMIN_ROLE(), admin, tx_opts)
        tp.renounceRole(tp.DEFAULT_ADMIN_ROLE(), deployer, tx_opts)
        # Chainlink ConfirmedOwner (only guards setCoordinator) is two-step: the admin must
        # call acceptOwnership() to complete the hand-over.
        tp.transferOwnership(admin, tx_opts)

    key_hash_out, _, confirmations, gas_limit = tp.vrfConfig()
    record = {
        "chainId": chain_id,
        "network": network.show_active(),
        "trackPacks": tp.address,
        "vrfCoordinator": coordinator,
        "vrfCoordinatorIsMock": mock is not None,
        "deployBlock": deploy_block,
        "deployTx": tp.tx.txid,
        "keyHash": str(key_hash_out),
        "subscriptionId": str(sub_id),
        "consumerAdded": consumer_added,
        "requestConfirmations": int(confirmations),
        "callbackGasLimit": int(gas_limit),
        "linkToken": None if local else AMOY_LINK,
        "deployer": deployer.address,
        "admin": admin,
        "minters": minters,
        "operators": operators,
        "baseUri": base_uri,
        "packIdOffset": str(2**128),
        "demoCatalog": demo,
        "artifacts": {
            "TrackPacks": "chain/artifacts/TrackPacks.json",
            "VRFCoordinatorV2_5Mock": "chain/artifacts/VRFCoordinatorV2_5Mock.json",
        },
    }
    path = Path(os.environ.get("DEPLOYMENT_RECORD") or f"data/deployments/{chain_id}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    tmp.replace(path)
    print(f"TrackPacks {tp.address} (block {deploy_block}); record written to {path}")
    print(f"latest block {web3.eth.block_number}")
