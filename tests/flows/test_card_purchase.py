"""Card purchase end to end: an order over HTTP, the PaymentIntent authorised at a real
localstripe (manual capture), localstripe's own signed webhooks delivered to the live server,
the custodial mint sent by the outbox to anvil, the capture only after the packs exist, and
the pack opened by the backend.

The test reads the database through its own connection (a file-backed SQLite test database,
see tests/conftest.py), so it sees only what the live server's webhook has committed."""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.management import CommandError, call_command

from chain.client import trackpacks_contract
from chain.models import ChainTransaction
from payments.models import Order, OrderStatus, StripeEvent
from payments.services import stripe_calls_process_due
from tests.flows.conftest import Fan, run_background
from tests.payments.stripe_fixtures import (  # noqa: F401  (fixtures)
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    localstripe,
    localstripe_get,
    stripe_local,
)
from trackpacks.models import Batch, PackStatus

pytestmark = [pytest.mark.chain, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe_delivers(stripe_local: str, live_server: Any) -> Iterator[None]:  # noqa: F811
    """localstripe signs its events with our secret and POSTs them to the live server."""

    def register(url: str) -> None:
        response = requests.post(
            f"{stripe_local}/_config/webhooks/trackpacks",
            json={"url": url, "secret": WEBHOOK_SECRET},
            timeout=5,
        )
        response.raise_for_status()

    register(f"{live_server.url}{WEBHOOK_URL}")
    yield
    register("http://127.0.0.1:9/")  # nothing listens: later events go nowhere


def order_by_card(fan: Fan, batch: Batch, quantity: int) -> dict[str, Any]:
    response = fan.api.post(
        "/api/v1/orders/",
        {"batch": batch.pk, "quantity": quantity, "method": "card"},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def wait_for(order_id: int, timeout: float = 15, **expected: Any) -> Order:
    """Polls the committed order until its fields have the expected values."""
    deadline = time.monotonic() + timeout
    while True:
        order = Order.objects.get(pk=order_id)
        seen = {name: getattr(order, name) for name in expected}
        if seen == expected or time.monotonic() > deadline:
            assert seen == expected
            return order
        time.sleep(0.2)


def wait_for_status(order_id: int, status: str, timeout: float = 15) -> Order:
    return wait_for(order_id, timeout, status=status)


def wait_for_event(event_type: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not StripeEvent.objects.filter(type=event_type).exists():
        assert time.monotonic() < deadline, f"no {event_type} webhook"
        time.sleep(0.2)


def intent_status(intent_id: str) -> str:
    base = settings.STRIPE_API_BASE  # the session's localstripe (stripe_delivers)
    return str(localstripe_get(base, f"/v1/payment_intents/{intent_id}")["status"])


def test_buy_by_card_mint_custodially_and_open(
    fan: Fan,
    catalog: Batch,
    stripe_delivers: None,
) -> None:
    order = order_by_card(fan, catalog, quantity=2)
    card = order["payment"]["card"]
    assert card["publishable_key"]
    catalog.refresh_from_db()
    assert catalog.available == 18

    call_command("stripe_confirm_local", card["payment_intent_id"])  # Stripe Elements' part
    wait_for_status(order["id"], OrderStatus.PAID)  # amount_capturable_updated: authorised
    assert fan.api.get(f"/api/v1/orders/{order['id']}/").json()["payment"] is None
    assert stripe_calls_process_due() == 0  # nothing to capture before the packs exist
    assert intent_status(card["payment_intent_id"]) == "requires_capture"

    run_background()  # the outbox sends mintPacks, the indexer applies PacksMinted
    fulfilled = fan.api.get(f"/api/v1/orders/{order['id']}/").json()
    assert fulfilled["status"] == "fulfilled"
    assert fulfilled["captured_at"] is None
    assert stripe_calls_process_due() == 1  # the worker captures now
    assert intent_status(card["payment_intent_id"]) == "succeeded"
    assert fan.api.get(f"/api/v1/orders/{order['id']}/").json()["captured_at"] is not None
    wait_for_event("payment_intent.succeeded")  # Stripe confirms the capture: nothing changes
    assert Order.objects.get(pk=order["id"]).status == OrderStatus.FULFILLED
    custodial = fan.user.custodial_address
    assert trackpacks_contract().functions.balanceOf(custodial, catalog.pack_token_id).call() == 2
    assert ChainTransaction.objects.filter(function="mintPacks").count() == 1

    packs = fan.api.get("/api/v1/packs/").json()["results"]
    assert len(packs) == 2
    assert {p["custody"] for p in packs} == {"custodial"}

    opened = fan.api.post(f"/api/v1/packs/{packs[0]['id']}/open/")
    assert opened.status_code == 202, opened.content
    assert opened.json()["wallet_call"] is None
    run_background()
    pack = fan.api.get(f"/api/v1/packs/{packs[0]['id']}/").json()
    assert pack["status"] == PackStatus.OPENED
    assert len(pack["songs"]) == 5
    assert trackpacks_contract().functions.balanceOf(custodial, catalog.pack_token_id).call() == 1


def test_declined_card_keeps_the_order_for_a_retry_on_the_same_intent(
    fan: Fan,
    catalog: Batch,
    stripe_delivers: None,
) -> None:
    """A decline is not final (Stripe lets the buyer try another card on the same
    PaymentIntent): the packs stay reserved and a second card pays for the order."""
    order = order_by_card(fan, catalog, quantity=3)
    intent_id = order["payment"]["card"]["payment_intent_id"]
    with pytest.raises(CommandError, match="declined"):
        call_command("stripe_confirm_local", intent_id, card="4000000000000341")
    wait_for(order["id"], status=OrderStatus.PENDING, status_reason="payment_failed: card_declined")
    catalog.refresh_from_db()
    assert catalog.available == 17
    run_background()
    assert not ChainTransaction.objects.filter(function="mintPacks").exists()

    call_command("stripe_confirm_local", intent_id)  # the buyer's second card
    wait_for_status(order["id"], OrderStatus.PAID)
    run_background()
    wait_for_status(order["id"], OrderStatus.FULFILLED)
    catalog.refresh_from_db()
    assert catalog.available == 17
    assert ChainTransaction.objects.filter(function="mintPacks").count() == 1


def test_declined_card_then_cancel_frees_the_packs_and_cancels_the_intent(
    fan: Fan,
    catalog: Batch,
    stripe_delivers: None,
) -> None:
    order = order_by_card(fan, catalog, quantity=3)
    intent_id = order["payment"]["card"]["payment_intent_id"]
    with pytest.raises(CommandError, match="declined"):
        call_command("stripe_confirm_local", intent_id, card="4000000000000341")
    wait_for(order["id"], status=OrderStatus.PENDING, status_reason="payment_failed: card_declined")

    cancelled = fan.api.post(f"/api/v1/orders/{order['id']}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "canceled"
    catalog.refresh_from_db()
    assert catalog.available == 20
    assert stripe_calls_process_due() == 1
    assert intent_status(intent_id) == "canceled"
    run_background()
    assert not ChainTransaction.objects.filter(function="mintPacks").exists()
