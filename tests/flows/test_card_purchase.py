"""Card purchase end to end: an order over HTTP, the PaymentIntent confirmed at a real
localstripe, localstripe's own signed webhook delivered to the live server, the custodial mint
sent by the outbox to anvil, and the pack opened by the backend."""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command

from chain.client import trackpacks_contract
from chain.models import ChainTransaction
from payments.models import Order, OrderStatus
from tests.flows.conftest import Fan, run_background
from tests.payments.stripe_fixtures import (  # noqa: F401  (fixtures)
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    localstripe,
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


def wait_for_status(order_id: int, status: str, timeout: float = 15) -> Order:
    deadline = time.monotonic() + timeout
    while True:
        order = Order.objects.get(pk=order_id)
        if order.status == status or time.monotonic() > deadline:
            assert order.status == status, f"still {order.status}"
            return order
        time.sleep(0.2)


def test_buy_by_card_mint_custodially_and_open(
    fan: Fan, catalog: Batch, stripe_delivers: None
) -> None:
    order = order_by_card(fan, catalog, quantity=2)
    card = order["payment"]["card"]
    assert card["publishable_key"]
    catalog.refresh_from_db()
    assert catalog.available == 18

    call_command("stripe_confirm_local", card["payment_intent_id"])  # Stripe Elements' part
    wait_for_status(order["id"], OrderStatus.PAID)
    assert fan.api.get(f"/api/v1/orders/{order['id']}/").json()["payment"] is None

    run_background()  # the outbox sends mintPacks, the indexer applies PacksMinted
    fulfilled = fan.api.get(f"/api/v1/orders/{order['id']}/").json()
    assert fulfilled["status"] == "fulfilled"
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


def test_declined_card_fails_the_order_and_frees_the_packs(
    fan: Fan, catalog: Batch, stripe_delivers: None
) -> None:
    order = order_by_card(fan, catalog, quantity=3)
    with pytest.raises(CommandError, match="declined"):
        call_command(
            "stripe_confirm_local", order["payment"]["card"]["payment_intent_id"],
            card="4000000000000341",
        )  # fmt: skip
    wait_for_status(order["id"], OrderStatus.FAILED)
    catalog.refresh_from_db()
    assert catalog.available == 20
    run_background()
    assert not ChainTransaction.objects.filter(function="mintPacks").exists()
