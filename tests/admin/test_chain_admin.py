"""Outbox retry and cancel, pause and proceeds from the admin, on anvil."""

from typing import Any

import pytest
from web3 import Web3

from chain.client import get_web3, trackpacks_contract
from chain.models import ChainTransaction
from chain.services import chain_tx_enqueue
from tests.admin.conftest import messages_of, run_action
from tests.chain_fixtures import rpc
from tests.flows.conftest import anvil_account, register_and_link, run_background
from trackpacks.models import Batch

pytestmark = [pytest.mark.chain, pytest.mark.django_db(transaction=True)]
TXS = "/admin/chain/chaintransaction/"
Status = ChainTransaction.Status


def _queue_pause() -> ChainTransaction:
    from django.db import transaction

    with transaction.atomic():
        return chain_tx_enqueue(sender_role="admin", function="pause", args=[], reference="t:pause")


def test_retry_queues_a_failed_call_again(chain: Any, label_manager: Any) -> None:
    tx = _queue_pause()
    ChainTransaction.objects.filter(pk=tx.pk).update(status=Status.FAILED, failure_reason="x")
    done = run_action(label_manager, TXS, "retry", [tx.pk])
    assert "Retried: 1." in messages_of(done)
    retry = ChainTransaction.objects.get(reference__startswith="t:pause:retry:")
    assert (retry.function, retry.status) == ("pause", Status.QUEUED)
    again = run_action(label_manager, TXS, "retry", [tx.pk])
    assert any("already under way" in m for m in messages_of(again))
    run_background(rounds=2)
    assert trackpacks_contract().functions.paused().call() is True


def test_support_can_neither_retry_nor_cancel(chain: Any, support: Any) -> None:
    tx = _queue_pause()
    run_action(support, TXS, "cancel", [tx.pk])
    ChainTransaction.objects.filter(pk=tx.pk).update(status=Status.FAILED)
    run_action(support, TXS, "retry", [tx.pk])
    assert ChainTransaction.objects.count() == 1


def test_cancel_before_sending_drops_the_call(chain: Any, label_manager: Any) -> None:
    tx = _queue_pause()
    done = run_action(label_manager, TXS, "cancel", [tx.pk])
    assert "Cancelled: 1." in messages_of(done)
    tx.refresh_from_db()
    assert tx.status == Status.FAILED
    run_background(rounds=2)
    assert trackpacks_contract().functions.paused().call() is False


def test_cancel_after_sending_replaces_the_nonce_with_a_noop(
    chain: Any, label_manager: Any
) -> None:
    url = chain["rpc_url"]
    rpc(url, "evm_setAutomine", [False])  # the call waits in the mempool
    tx = _queue_pause()
    run_background(rounds=1)
    tx.refresh_from_db()
    assert tx.status == Status.SENT
    done = run_action(label_manager, TXS, "cancel", [tx.pk])
    assert "Cancelled: 1." in messages_of(done)
    rpc(url, "evm_mine")
    rpc(url, "evm_setAutomine", [True])
    tx.refresh_from_db()
    assert tx.status == Status.FAILED
    replacement = tx.failure_reason.rsplit(" ", 1)[-1]
    receipt = get_web3().eth.get_transaction_receipt(replacement)
    assert receipt["status"] == 1
    assert receipt["to"] == receipt["from"] == Web3.to_checksum_address(tx.sender_address)
    run_background(rounds=2)
    assert trackpacks_contract().functions.paused().call() is False  # the pause never ran
    tx.refresh_from_db()
    assert tx.status == Status.FAILED


def test_label_manager_pauses_and_withdraws_proceeds_to_the_treasury(
    catalog: Batch, api: Any, label_manager: Any, settings: Any
) -> None:
    fan = register_and_link(api, email="buyer@example.com", wallet=anvil_account(6))
    w3 = get_web3()
    contract = trackpacks_contract()
    buy = contract.functions.buyPacks(catalog.pk, 2, "0x" + "11" * 32).build_transaction(
        {
            "from": fan.wallet.address,
            "value": 2 * int(catalog.price_wei),
            "gas": 300_000,
            "nonce": w3.eth.get_transaction_count(fan.wallet.address),
        }
    )
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(fan.wallet.sign_transaction(buy).raw_transaction)
    )
    treasury = Web3.to_checksum_address(settings.TREASURY_ADDRESS)
    before = w3.eth.get_balance(treasury)
    page = label_manager.get("/admin/contract/")
    assert f"{2 * int(catalog.price_wei)} wei" in page.content.decode()

    label_manager.post("/admin/contract/", {"operation": "withdraw"})
    label_manager.post("/admin/contract/", {"operation": "pause"})
    run_background(rounds=2)
    assert w3.eth.get_balance(treasury) - before == 2 * int(catalog.price_wei)
    assert w3.eth.get_balance(contract.address) == 0
    assert contract.functions.paused().call() is True
    label_manager.post("/admin/contract/", {"operation": "unpause"})
    run_background(rounds=2)
    assert contract.functions.paused().call() is False


def test_support_cannot_operate_the_contract(chain: Any, support: Any) -> None:
    assert support.post("/admin/contract/", {"operation": "pause"}).status_code == 403
    assert not ChainTransaction.objects.exists()


def test_low_gas_balances_warn_on_the_dashboard(
    chain: Any, label_manager: Any, settings: Any
) -> None:
    settings.CONSOLE_LOW_GAS_WEI = 10**30  # more than any test account holds
    html = label_manager.get("/admin/").content.decode()
    assert "low, top it up" in html
    assert "VRF subscription" in html
