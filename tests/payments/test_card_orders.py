"""Card orders: a PaymentIntent per order at (local)Stripe, and what an outage leaves behind."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.models import IdempotencyKey
from payments.models import Order, OrderStatus, StripeCall
from payments.services import orders_expire_due, stripe_calls_process_due
from tests.factories import make_batch
from tests.payments.stripe_fixtures import localstripe_get
from trackpacks.models import Batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db: None) -> Batch:
    return make_batch(supply=10, price_cents=750)


def order_card(client: Any, batch: Batch, quantity: int = 2, key: str | None = None) -> Any:
    return client.post(
        "/api/v1/orders/",
        {"batch": batch.pk, "quantity": quantity, "method": "card"},
        HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex,
    )


def test_card_order_creates_a_payment_intent(
    auth_api: Any, batch: Batch, stripe_local: str
) -> None:
    response = order_card(auth_api, batch)
    assert response.status_code == 201, response.content
    body = response.json()
    card = body["payment"]["card"]
    assert body["payment"]["crypto"] is None
    assert body["amount_cents"] == 1500
    assert card["publishable_key"] == "pk_test_local"
    assert card["client_secret"].startswith(card["payment_intent_id"] + "_secret_")

    intent = localstripe_get(stripe_local, f"/v1/payment_intents/{card['payment_intent_id']}")
    assert intent["amount"] == 1500
    assert intent["currency"] == "usd"
    assert intent["metadata"] == {"order_id": str(body["id"]), "order_ref": body["order_ref"]}
    assert intent["capture_method"] == "manual"  # authorise now, capture once the packs exist
    order = Order.objects.get(pk=body["id"])
    assert order.stripe_payment_intent_id == card["payment_intent_id"]
    batch.refresh_from_db()
    assert batch.available == 8

    again = auth_api.get(f"/api/v1/orders/{body['id']}/").json()
    assert again["payment"]["card"] == card


def test_stripe_outage_leaves_no_order_and_no_reservation(
    auth_api: Any, batch: Batch, settings: Any
) -> None:
    from core.localprocs import free_port

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    response = order_card(auth_api, batch, key="card-outage-0001")
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "payment_provider_unavailable"
    assert Order.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0  # the same key can be retried
    batch.refresh_from_db()
    assert batch.available == 10


def test_sold_out_card_order_never_reaches_stripe(
    auth_api: Any, batch: Batch, settings: Any
) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # would fail if it were called
    Batch.objects.filter(pk=batch.pk).update(available=1)
    response = order_card(auth_api, batch, quantity=2)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sold_out"


def test_expiry_cancels_the_payment_intent(auth_api: Any, batch: Batch, stripe_local: str) -> None:
    body = order_card(auth_api, batch).json()
    Order.objects.filter(pk=body["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert orders_expire_due() == 1
    assert Order.objects.get(pk=body["id"]).status == OrderStatus.EXPIRED
    intent_id = body["payment"]["card"]["payment_intent_id"]
    assert stripe_calls_process_due() == 1  # the worker's durable cancel
    assert localstripe_get(stripe_local, f"/v1/payment_intents/{intent_id}")["status"] == "canceled"
    batch.refresh_from_db()
    assert batch.available == 10


def test_expiry_survives_a_stripe_outage(
    auth_api: Any, batch: Batch, stripe_local: str, settings: Any
) -> None:
    body = order_card(auth_api, batch).json()
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    Order.objects.filter(pk=body["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert orders_expire_due() == 1
    assert Order.objects.get(pk=body["id"]).status == OrderStatus.EXPIRED
    batch.refresh_from_db()
    assert batch.available == 10

    stripe_calls_process_due()  # Stripe unreachable: the cancel is kept and retried later
    [cancel] = StripeCall.objects.all()
    assert (cancel.action, cancel.status, cancel.attempts) == ("cancel", "pending", 1)
    assert cancel.next_attempt_at > timezone.now()

    settings.STRIPE_API_BASE = stripe_local
    StripeCall.objects.update(next_attempt_at=timezone.now())
    assert stripe_calls_process_due() == 1
    intent_id = body["payment"]["card"]["payment_intent_id"]
    assert localstripe_get(stripe_local, f"/v1/payment_intents/{intent_id}")["status"] == "canceled"
    assert StripeCall.objects.get().status == "done"


def test_orders_read_without_a_chain_deployment(settings: Any, tmp_path: Any, user: Any) -> None:
    """Reading an order never needs the chain: its wallet call was fixed when it was made."""
    from chain.client import reset_clients
    from tests.conftest import SchemaCheckedClient
    from tests.factories import make_order

    settings.CHAIN_DEPLOYMENT_RECORD = tmp_path / "missing.json"
    reset_clients()
    order = make_order(
        user=user, batch=make_batch(), pay_to_address="0x" + "11" * 20, pay_calldata="0xabcd"
    )
    client = SchemaCheckedClient()
    client.force_authenticate(user)
    assert client.get("/api/v1/orders/").status_code == 200
    detail = client.get(f"/api/v1/orders/{order.pk}/")
    assert detail.status_code == 200
    assert detail.json()["payment"]["crypto"]["data"] == "0xabcd"
