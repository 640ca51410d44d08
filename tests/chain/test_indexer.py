from typing import Any

import pytest
from django.db import transaction
from hexbytes import HexBytes
from web3.types import Wei

from chain.events import on_revert
from chain.indexer import chain_ingest_transaction, indexer_process_once
from chain.models import ChainEvent, IndexerCursor, TokenBalance
from chain.selectors import token_balances_for
from core.errors import ApplicationError
from tests.chain.conftest import ChainHelper

pytestmark = [pytest.mark.chain, pytest.mark.django_db]

PACK_ID_OFFSET = 2**128
BATCH = 3
PRICE = 10**15
reverted: list[str] = []


@on_revert("PacksMinted")
def _minted_reverted(event: ChainEvent) -> None:
    reverted.append(event.tx_hash)


def setup_batch(chainh: ChainHelper, sale_open: bool = True) -> None:
    chainh.send("admin", "registerSongs", [1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 2])
    chainh.send(
        "admin",
        "createBatch",
        BATCH,
        PRICE,
        50,
        1 if sale_open else 0,  # saleStart: open since the epoch, or not scheduled
        0,
        [1, 2, 3, 4, 5, 6],
        [50, 50, 50, 15, 15, 5],
    )


def mint(chainh: ChainHelper, user_id: int, quantity: int, ref: int) -> Any:
    """Card mint to the user's keyless custodial address."""
    return chainh.send("minter", "mintPacks", user_id, BATCH, quantity, ref.to_bytes(32, "big"))


def custodial(chainh: ChainHelper, user_id: int) -> str:
    return str(chainh.contract.functions.custodialAddress(user_id).call())


def balances_match_chain(chainh: ChainHelper) -> None:
    rows = list(TokenBalance.objects.all())
    assert rows
    for row in rows:
        on_chain = chainh.contract.functions.balanceOf(row.address, int(row.token_id)).call()
        assert int(row.balance) == on_chain, (row.address, row.token_id)


def test_indexer_records_each_event_once_and_tracks_balances(chainh: ChainHelper) -> None:
    setup_batch(chainh)
    holder = custodial(chainh, 5)
    mint(chainh, 5, 3, 1)
    first = indexer_process_once()
    assert first > 0
    names = set(ChainEvent.objects.values_list("event_name", flat=True))
    assert {"SongRegistered", "BatchCreated", "PacksMinted", "TransferSingle"} <= names
    assert indexer_process_once() == 0
    assert ChainEvent.objects.count() == first

    cursor = IndexerCursor.objects.get(address=chainh.deployment.trackpacks.address)
    assert cursor.last_block == chainh.w3.eth.block_number  # 1 confirmation on anvil
    created = ChainEvent.objects.get(event_name="BatchCreated")
    assert created.args["packTokenId"] == str(PACK_ID_OFFSET + BATCH)
    assert created.args["songIds"] == ["1", "2", "3", "4", "5", "6"]
    minted = ChainEvent.objects.get(event_name="PacksMinted")
    assert minted.args["to"] == holder
    assert minted.args["orderRef"] == "0x" + "00" * 31 + "01"

    mint(chainh, 5, 2, 2)
    indexer_process_once()
    (balance,) = token_balances_for(addresses=[holder.lower()])
    assert int(balance.token_id) == PACK_ID_OFFSET + BATCH
    assert int(balance.balance) == 5
    balances_match_chain(chainh)


def test_reorg_rewinds_orphaned_events_and_balances(chainh: ChainHelper) -> None:
    setup_batch(chainh)
    alice, bob = custodial(chainh, 5), custodial(chainh, 6)
    fork_point = chainh.rpc("evm_snapshot")
    orphan = mint(chainh, 5, 4, 10)
    chainh.mine(2)
    indexer_process_once()
    orphan_hash = HexBytes(orphan["transactionHash"]).to_0x_hex()
    assert ChainEvent.objects.filter(tx_hash=orphan_hash).exists()

    chainh.rpc("evm_revert", [fork_point])  # the blocks above are replaced by others
    mint(chainh, 6, 1, 11)
    chainh.mine(4)
    indexer_process_once()

    assert orphan_hash in reverted
    assert not ChainEvent.objects.filter(tx_hash=orphan_hash).exists()
    assert ChainEvent.objects.filter(event_name="PacksMinted").count() == 1
    assert not token_balances_for(addresses=[alice]).exists()
    assert token_balances_for(addresses=[bob]).get().balance == 1
    balances_match_chain(chainh)


def test_ingest_transaction_then_indexer_skips_it(chainh: ChainHelper) -> None:
    setup_batch(chainh)
    buyer = chainh.account(4)
    tx_hash = chainh.w3.eth.send_transaction(
        {
            "from": buyer,
            "to": chainh.contract.address,
            "value": Wei(2 * PRICE),
            "data": chainh.contract.encode_abi("buyPacks", args=[BATCH, 2, b"\x07" * 32]),
        }
    )
    chainh.w3.eth.wait_for_transaction_receipt(tx_hash)
    with transaction.atomic():
        events = chain_ingest_transaction(tx_hash=HexBytes(tx_hash).to_0x_hex())
    assert [e.event_name for e in events] == ["PacksPurchased", "TransferSingle"]
    assert events[0].args["buyer"] == buyer
    assert events[0].args["paid"] == str(2 * PRICE)
    again = chain_ingest_transaction(tx_hash=HexBytes(tx_hash).to_0x_hex())
    assert [e.pk for e in again] == [e.pk for e in events]

    indexer_process_once()
    assert ChainEvent.objects.filter(tx_hash=HexBytes(tx_hash).to_0x_hex()).count() == 2
    assert token_balances_for(addresses=[buyer]).get().balance == 2
    balances_match_chain(chainh)


def test_ingest_transaction_refusals(chainh: ChainHelper, settings: Any) -> None:
    setup_batch(chainh)
    w3 = chainh.w3
    with pytest.raises(ApplicationError) as missing:
        chain_ingest_transaction(tx_hash="0x" + "ab" * 32)
    assert (missing.value.code, missing.value.status_code) == ("tx_not_found", 422)

    transfer = w3.eth.send_transaction(
        {"from": chainh.account(4), "to": chainh.account(7), "value": Wei(1)}
    )
    w3.eth.wait_for_transaction_receipt(transfer)  # anvil mines asynchronously under load
    with pytest.raises(ApplicationError) as wrong:
        chain_ingest_transaction(tx_hash=HexBytes(transfer).to_0x_hex())
    assert wrong.value.code == "tx_wrong_contract"

    bad = w3.eth.send_transaction(
        {
            "from": chainh.account(4),
            "to": chainh.contract.address,
            "value": Wei(1),  # wrong payment: reverts
            "gas": 300_000,
            "data": chainh.contract.encode_abi("buyPacks", args=[BATCH, 1, b"\x08" * 32]),
        }
    )
    w3.eth.wait_for_transaction_receipt(bad)
    with pytest.raises(ApplicationError) as failed:
        chain_ingest_transaction(tx_hash=HexBytes(bad).to_0x_hex())
    assert failed.value.code == "tx_failed"

    settings.CHAIN_CONFIRMATIONS = 3
    fresh = mint(chainh, 7, 1, 99)
    with pytest.raises(ApplicationError) as early:
        chain_ingest_transaction(tx_hash=HexBytes(fresh["transactionHash"]).to_0x_hex())
    assert (early.value.code, early.value.status_code) == ("tx_not_confirmed", 409)
    chainh.mine(2)
    assert chain_ingest_transaction(tx_hash=HexBytes(fresh["transactionHash"]).to_0x_hex())
