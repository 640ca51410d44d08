"""End-to-end helpers: a fan with a linked wallet, a registered catalog, and the background
passes (outbox, indexer, local VRF fulfiller) run by hand instead of by Celery beat."""

from typing import Any

import pytest
from django.conf import settings
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from web3 import Web3

from accounts.models import User
from chain.client import get_web3, trackpacks_contract
from chain.fulfiller import local_chain_process_once
from chain.models import ChainTransaction
from core.localprocs import ANVIL_MNEMONIC
from tests.chain_fixtures import anvil_settle
from tests.conftest import PASSWORD, SchemaCheckedClient, verify_email_from_outbox
from trackpacks.models import Batch, ChainStatus, Rarity
from trackpacks.services import PoolItem, batch_create, song_create

Account.enable_unaudited_hdwallet_features()


def anvil_account(index: int) -> LocalAccount:
    account: LocalAccount = Account.from_mnemonic(
        ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account


def run_background(rounds: int = 4) -> None:
    """What Celery beat runs on the local chain: send outbox txs, index, fulfil VRF, index.
    Between passes, anvil mines what was sent (its automine answers before the block exists,
    so under load a pass could otherwise index before its own transactions are in a block)."""
    for _ in range(rounds):
        local_chain_process_once()
        anvil_settle(settings.CHAIN_RPC_URL)


def send_from(account: LocalAccount, *, to: str, data: str = "0x", value: int = 0) -> str:
    w3: Web3 = get_web3()
    tx = {
        "from": account.address,
        "to": Web3.to_checksum_address(to),
        "data": data,
        "value": value,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": 31337,
        "maxFeePerGas": 2 * w3.eth.gas_price + 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    tx["gas"] = 500_000
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    return "0x" + bytes(tx_hash).hex()


class Fan:
    def __init__(self, api: SchemaCheckedClient, user: User, wallet: LocalAccount) -> None:
        self.api = api
        self.user = user
        self.wallet = wallet


def register_and_link(api: SchemaCheckedClient, *, email: str, wallet: LocalAccount) -> Fan:
    response = api.post("/api/v1/auth/register/", {"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.content
    assert verify_email_from_outbox(api, email).status_code == 200  # card orders need it
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    nonce = api.post("/api/v1/auth/wallet/nonce/", {"address": wallet.address})
    assert nonce.status_code == 201, nonce.content
    message = nonce.json()["message"]
    signature = wallet.sign_message(encode_defunct(text=message)).signature.hex()
    if not signature.startswith("0x"):
        signature = "0x" + signature
    linked = api.post("/api/v1/auth/wallet/link/", {"message": message, "signature": signature})
    assert linked.status_code == 200, linked.content
    return Fan(api, User.objects.get(email=email), wallet)


@pytest.fixture
def catalog(chain: dict[str, Any], db: None) -> Batch:
    songs = [
        song_create(
            token_id=i + 1,
            title=f"Track {i + 1}",
            artist="The Testers",
            rarity=[Rarity.COMMON, Rarity.RARE, Rarity.EPIC, Rarity.LEGENDARY][i % 4],
            image_url=f"https://example.com/{i + 1}.png",
            audio_url=f"https://example.com/{i + 1}.mp3",
        )
        for i in range(8)
    ]
    run_background(rounds=1)  # songs must be registered on chain before a batch uses them
    batch = batch_create(
        name="E2E Drop",
        price_cents=500,
        price_wei=10**16,
        supply=20,
        pool=[PoolItem(song=song) for song in songs],
    )
    run_background(rounds=2)
    batch.refresh_from_db()
    assert batch.chain_status == ChainStatus.REGISTERED, list(
        ChainTransaction.objects.values("function", "status", "failure_reason")
    )
    return batch


@pytest.fixture
def fan(api: SchemaCheckedClient, catalog: Batch) -> Fan:
    return register_and_link(api, email="fan@example.com", wallet=anvil_account(4))


def contract_address() -> str:
    return str(trackpacks_contract().address)
