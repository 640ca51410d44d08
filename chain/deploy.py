"""Local deployment (chain 31337 only): the mock VRF coordinator and TrackPacks, from the
artifacts, with web3.py. Production deployments go through the contract engineer's scripts."""

import logging
from pathlib import Path

from django.conf import settings
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.types import TxReceipt

from chain.client import (
    COORDINATOR_MOCK,
    TRACKPACKS,
    DeployedContract,
    Deployment,
    get_web3,
    load_artifact,
    read_deployment,
    write_deployment,
)
from chain.config import LOCAL_CHAIN_ID, SenderRole, signer_account, signer_address
from core.errors import ApplicationError

logger = logging.getLogger(__name__)

LOCAL_KEY_HASH = "0x" + "11" * 32
MOCK_BASE_FEE = 10**17
MOCK_GAS_PRICE = 10**9
MOCK_WEI_PER_UNIT_LINK = 4 * 10**15
SUBSCRIPTION_FUNDING = 10**24  # each fulfilment charges the subscription: fund generously
ROYALTY_BPS = 500
OPEN_RETRY_DELAY_SECONDS = 24 * 3600  # the contract's minimum


def _send(
    w3: Web3, account: LocalAccount, call: ContractFunction | ContractConstructor
) -> TxReceipt:
    tx = call.build_transaction(
        {
            "from": account.address,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": w3.eth.chain_id,
        }
    )
    signed = account.sign_transaction(tx)  # type: ignore[arg-type]
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    if receipt["status"] != 1:
        raise RuntimeError(f"deployment transaction {HexBytes(tx_hash).to_0x_hex()} reverted")
    return receipt


def _created_address(receipt: TxReceipt) -> ChecksumAddress:
    address = receipt["contractAddress"]
    if address is None:
        raise RuntimeError("deployment receipt has no contract address")
    return address


def _is_live(w3: Web3, deployment: Deployment) -> bool:
    return all(len(w3.eth.get_code(c.address)) > 0 for c in deployment.contracts.values())


def deploy_local(*, record_path: Path | None = None, force: bool = False) -> Deployment:
    """Deploy (or reuse) the local contracts and write the deployment record."""
    w3 = get_web3()
    chain_id = w3.eth.chain_id
    if chain_id != LOCAL_CHAIN_ID or settings.CHAIN_ID != LOCAL_CHAIN_ID:
        raise ApplicationError(
            f"Local deployment refused: the node reports chain {chain_id}.",
            code="not_local_chain",
        )
    existing = read_deployment(record_path)
    if existing is not None and not force and _is_live(w3, existing):
        logger.info("Deployment record is live; nothing to deploy.")
        return existing

    deployer = signer_account(SenderRole.DEPLOYER)
    mock_art = load_artifact(COORDINATOR_MOCK)
    mock_factory = w3.eth.contract(abi=mock_art.abi, bytecode=mock_art.bytecode)
    receipt = _send(
        w3,
        deployer,
        mock_factory.constructor(MOCK_BASE_FEE, MOCK_GAS_PRICE, MOCK_WEI_PER_UNIT_LINK),
    )
    mock_address = _created_address(receipt)
    mock = w3.eth.contract(address=mock_address, abi=mock_art.abi)
    receipt = _send(w3, deployer, mock.functions.createSubscription())
    created = mock.events.SubscriptionCreated().process_receipt(receipt)
    sub_id = int(created[0]["args"]["subId"])
    _send(w3, deployer, mock.functions.fundSubscription(sub_id, SUBSCRIPTION_FUNDING))

    admin = signer_address(SenderRole.ADMIN)
    tp_art = load_artifact(TRACKPACKS)
    tp_factory = w3.eth.contract(abi=tp_art.abi, bytecode=tp_art.bytecode)
    receipt = _send(
        w3,
        deployer,
        tp_factory.constructor(
            mock_address,
            HexBytes(LOCAL_KEY_HASH),
            sub_id,
            admin,
            signer_address(SenderRole.MINTER),
            signer_address(SenderRole.OPERATOR),
            settings.METADATA_BASE_URI,
            admin,
            ROYALTY_BPS,
            OPEN_RETRY_DELAY_SECONDS,
        ),
    )
    tp_address = _created_address(receipt)
    tp_block = int(receipt["blockNumber"])
    tp = w3.eth.contract(address=tp_address, abi=tp_art.abi)
    _send(w3, deployer, mock.functions.addConsumer(sub_id, tp_address))
    # The VRF owner could switch the coordinator and answer requests itself: it goes to
    # governance, which must accept (two-step), so the deployer keeps nothing.
    governance = signer_account(SenderRole.GOVERNANCE)
    _send(w3, deployer, tp.functions.transferOwnership(governance.address))
    _send(w3, governance, tp.functions.acceptOwnership())

    deployment = Deployment(
        chain_id=chain_id,
        contracts={
            TRACKPACKS: DeployedContract(address=tp_address, block=tp_block),
            COORDINATOR_MOCK: DeployedContract(
                address=mock_address, block=int(mock.w3.eth.block_number)
            ),
        },
        key_hash=LOCAL_KEY_HASH,
        subscription_id=sub_id,
    )
    write_deployment(deployment, record_path)
    logger.info("Deployed TrackPacks at %s (block %s)", tp_address, tp_block)
    return deployment
