"""End to end on anvil and localstripe: the sale closed in the admin is closed on chain, a card
order is refunded through Stripe, an order in review is re-minted and lands on chain."""

import uuid
from typing import Any

import pytest
from django.core.management import call_command
from web3 import Web3

from chain.client import get_web3, trackpacks_contract
from payments.models import OrderStatus
from payments.services import stripe_calls_process_due
from tests.admin.conftest import messages_of, run_action
from tests.flows.conftest import Fan, anvil_account, register_and_link, run_background
from tests.flows.test_card_purchase import wait_for_status
from tests.payments.stripe_fixtures import deliver, localstripe_get, stripe_event
from trackpacks.models import Batch, PackStatus

pytestmark = [pytest.mark.chain, pytest.mark.django_db(transaction=True)]
ORDERS = "/admin/payments/order/"


def _buy_from_wallet(fan: Fan, batch: Batch) -> int:
    """Sends `buyPacks` straight from the fan's wallet; returns the receipt status."""
    w3: Web3 = get_web3()
    contract = trackpacks_contract()
    call = contract.functions.buyPacks(batch.pk, 1, "0x" + uuid.uuid4().hex * 2)
    tx = call.build_transaction(
        {
            "from": fan.wallet.address,
            "value": int(batch.price_wei),
            "gas": 300_000,
            "nonce": w3.eth.get_transaction_count(fan.wallet.address, "pending"),
        }
    )
    signed = fan.wallet.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction), timeout=10
    )
    return int(receipt["status"])


def test_a_sale_closed_in_the_admin_refuses_buy_packs_on_chain(
    catalog: Batch, api: Any, label_manager: Any
) -> None:
    fan = register_and_link(api, email="wallet@example.com", wallet=anvil_account(5))
    assert _buy_from_wallet(fan, catalog) == 1  # open: the wallet can buy

    closed = run_action(label_manager, "/admin/trackpacks/batch/", "close_sale_now", [catalog.pk])
    assert "Sales closed: 1." in messages_of(closed)
    run_background(rounds=2)
    assert _buy_from_wallet(fan, catalog) == 0  # reverted on chain
    refused = fan.api.post(
        "/api/v1/orders/",
        {"batch": catalog.pk, "quantity": 1, "method": "crypto"},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert refused.json()["error"]["code"] == "batch_not_on_sale"

    run_action(label_manager, "/admin/trackpacks/batch/", "open_sale_now", [catalog.pk])
    run_background(rounds=2)
    assert _buy_from_wallet(fan, catalog) == 1


def _card_order(fan: Fan, batch: Batch, quantity: int) -> dict[str, Any]:
    response = fan.api.post(
        "/api/v1/orders/",
        {"batch": batch.pk, "quantity": quantity, "method": "card"},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_support_refunds_a_fulfilled_card_order_through_stripe(
    fan: Fan,
    catalog: Batch,
    stripe_delivers: None,
    support: Any,
    stripe_local: str,
) -> None:
    order = _card_order(fan, catalog, quantity=2)
    intent = order["payment"]["card"]["payment_intent_id"]
    call_command("stripe_confirm_local", intent)
    wait_for_status(order["id"], OrderStatus.PAID)
    run_background()
    wait_for_status(order["id"], OrderStatus.FULFILLED)
    stripe_calls_process_due()  # the capture, now that the packs exist

    done = run_action(support, ORDERS, "refund", [order["id"]], apply="1", reason="chargeback risk")
    assert "Orders refunded: 1." in messages_of(done)
    stripe_calls_process_due()  # the refund (a durable call: the worker retries it)
    refunded = fan.api.get(f"/api/v1/orders/{order['id']}/").json()
    assert refunded["status"] == "refunded"
    assert [h["action"] for h in refunded["history"]] == ["refunded"]
    packs = fan.api.get("/api/v1/packs/").json()["results"]
    assert {p["status"] for p in packs} == {PackStatus.VOID}
    refunds = localstripe_get(stripe_local, f"/v1/refunds?payment_intent={intent}")["data"]
    assert [r["amount"] for r in refunds] == [order["amount_cents"]]

    again = run_action(support, ORDERS, "refund", [order["id"]], apply="1", reason="twice")
    assert any("has no payment to refund" in m for m in messages_of(again))
    stripe_calls_process_due()
    assert len(localstripe_get(stripe_local, f"/v1/refunds?payment_intent={intent}")["data"]) == 1


def test_support_resolves_a_review_by_reminting_and_the_packs_land(
    fan: Fan,
    catalog: Batch,
    stripe_local: str,
    support: Any,
    api: Any,
) -> None:
    order = _card_order(fan, catalog, quantity=1)
    intent = order["payment"]["card"]["payment_intent_id"]
    paid_wrong = stripe_event(
        "payment_intent.succeeded",
        {"id": intent, "object": "payment_intent", "amount_received": 1, "currency": "usd"},
    )
    assert deliver(api, paid_wrong).status_code == 200
    wait_for_status(order["id"], OrderStatus.REVIEW)

    done = run_action(support, ORDERS, "remint", [order["id"]], apply="1", reason="paid in full")
    assert "Orders re-minted: 1." in messages_of(done)
    run_background()
    fulfilled = fan.api.get(f"/api/v1/orders/{order['id']}/").json()
    assert fulfilled["status"] == "fulfilled"
    assert fulfilled["order_ref"] != order["order_ref"]
    custodial = fan.user.custodial_address
    balance = trackpacks_contract().functions.balanceOf(custodial, catalog.pack_token_id).call()
    assert balance == 1
