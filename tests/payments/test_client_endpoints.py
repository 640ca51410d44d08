"""Order endpoints for clients (issue 12): replays say so, cancel, filters."""

import uuid
from typing import Any

import pytest

from accounts.models import User
from tests.factories import make_batch, make_order, make_user
from tests.payments.stripe_fixtures import localstripe_get
from trackpacks.models import Batch

pytestmark = pytest.mark.django_db


def test_a_replayed_order_says_it_is_a_replay(auth_api: Any, stripe_local: str) -> None:
    batch = make_batch(supply=10, price_cents=750)
    body = {"batch": batch.pk, "quantity": 1, "method": "card"}
    key = uuid.uuid4().hex
    first = auth_api.post("/api/v1/orders/", body, HTTP_IDEMPOTENCY_KEY=key)
    again = auth_api.post("/api/v1/orders/", body, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


# ------------------------------------------------------------------ POST /orders/{id}/cancel/


def _order(auth_api: Any, batch: Batch, method: str = "card", quantity: int = 2) -> dict[str, Any]:
    response = auth_api.post(
        "/api/v1/orders/",
        {"batch": batch.pk, "quantity": quantity, "method": method},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def _available(batch: Batch) -> int:
    batch.refresh_from_db()
    return batch.available


def test_orders_filter_by_status_and_method(auth_api: Any, user: User) -> None:
    batch = make_batch(supply=10)
    make_order(user=user, batch=batch, quantity=1, method="card", status="paid")
    make_order(user=user, batch=batch, quantity=1, method="crypto")
    make_order(user=make_user(), batch=batch, quantity=1, method="card", status="paid")
    paid = auth_api.get("/api/v1/orders/?status=paid").json()
    assert [o["method"] for o in paid["results"]] == ["card"]
    crypto = auth_api.get("/api/v1/orders/?method=crypto").json()
    assert [o["status"] for o in crypto["results"]] == ["pending"]
    assert auth_api.get("/api/v1/orders/?status=nonsense").status_code == 400


# ------------------------------------------------------------- POST /orders/{id}/payment-sheet/
# localstripe has no ephemeral keys: tools/localstripe_ext.py adds Stripe's documented endpoint
# to the session's localstripe; customers and PaymentIntents are localstripe's own.


def test_payment_sheet_gives_the_mobile_sdk_a_customer_key_and_intent(
    auth_api: Any, user: User, stripe_local: str
) -> None:
    batch = make_batch(supply=10, price_cents=750)
    order = _order(auth_api, batch, quantity=1)
    response = auth_api.post(f"/api/v1/orders/{order['id']}/payment-sheet/")
    assert response.status_code == 200, response.content
    sheet = response.json()
    assert sheet["customer"].startswith("cus_")
    assert sheet["ephemeral_key"].startswith("ek_test_")
    assert sheet["payment_intent"] == order["payment"]["card"]["client_secret"]
    assert sheet["publishable_key"] == "pk_test_local"
    intent = localstripe_get(stripe_local, f"/v1/payment_intents/{sheet['payment_intent_id']}")
    assert intent["customer"] == sheet["customer"]
    customer = localstripe_get(stripe_local, f"/v1/customers/{sheet['customer']}")
    assert customer["email"] == user.email
    # One customer per user: a second order reuses it.
    second = _order(auth_api, batch, quantity=1)
    again = auth_api.post(f"/api/v1/orders/{second['id']}/payment-sheet/").json()
    assert again["customer"] == sheet["customer"]
    assert again["ephemeral_key"] != sheet["ephemeral_key"]
    user.refresh_from_db()
    assert user.stripe_customer_id == sheet["customer"]


def test_payment_sheet_only_for_a_pending_card_order_of_yours(auth_api: Any, user: User) -> None:
    batch = make_batch(supply=10)
    crypto = make_order(user=user, batch=batch, method="crypto")
    paid = make_order(
        user=user, batch=batch, method="card", status="paid", stripe_payment_intent_id="pi_x"
    )
    theirs = make_order(
        user=make_user(), batch=batch, method="card", stripe_payment_intent_id="pi_y"
    )
    assert (
        auth_api.post(f"/api/v1/orders/{crypto.pk}/payment-sheet/").json()["error"]["code"]
        == "not_a_card_order"
    )
    refused = auth_api.post(f"/api/v1/orders/{paid.pk}/payment-sheet/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "order_not_payable"
    assert auth_api.post(f"/api/v1/orders/{theirs.pk}/payment-sheet/").status_code == 404
    user.refresh_from_db()
    assert user.stripe_customer_id == ""


def test_payment_sheet_when_stripe_is_down_is_a_503_with_retry_after(
    auth_api: Any, user: User, settings: Any
) -> None:
    from core.localprocs import free_port

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    order = make_order(
        user=user, batch=make_batch(), method="card", stripe_payment_intent_id="pi_z"
    )
    response = auth_api.post(f"/api/v1/orders/{order.pk}/payment-sheet/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payment_provider_unavailable"
    assert int(response["Retry-After"]) > 0
    user.refresh_from_db()
    assert user.stripe_customer_id == ""
