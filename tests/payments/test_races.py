"""Concurrency on PostgreSQL: card orders racing for the last packs, and one webhook event
delivered many times at once."""

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.services import user_tokens
from chain.client import trackpacks_contract
from chain.models import ChainTransaction
from payments.models import Order, OrderStatus, StripeCall
from tests.conftest import SchemaCheckedClient
from tests.factories import make_batch, make_order
from tests.flows.conftest import run_background
from tests.openapi import find_operation
from tests.payments.stripe_fixtures import deliver, stripe_event
from trackpacks.models import Batch

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real concurrency (SQLite serialises every write)")


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    find_operation("/api/v1/orders/", "post")  # build the cached schema once, not per thread
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # surfaced by the caller's assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def buyer_client(index: int) -> SchemaCheckedClient:
    user = User.objects.create(email=f"racer{index}@example.com", email_verified_at=timezone.now())
    client = SchemaCheckedClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {user_tokens(user=user)['access']}")
    return client


def test_thirty_card_orders_for_ten_packs(stripe_local: str) -> None:
    batch = make_batch(supply=40)
    Batch.objects.filter(pk=batch.pk).update(available=10)
    clients = [buyer_client(i) for i in range(30)]

    def order(i: int) -> tuple[int, str | None]:
        response = clients[i].post(
            "/api/v1/orders/",
            {"batch": batch.pk, "quantity": 1, "method": "card"},
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        code = response.json()["error"]["code"] if response.status_code != 201 else None
        return response.status_code, code

    results = run_together(30, order)
    assert Counter(results) == {(201, None): 10, (409, "sold_out"): 20}, results
    batch.refresh_from_db()
    assert batch.available == 0
    orders = Order.objects.filter(batch=batch)
    assert orders.count() == 10
    assert len({o.stripe_payment_intent_id for o in orders}) == 10


def test_one_event_delivered_ten_times_at_once_mints_once(catalog: Batch) -> None:
    batch = catalog
    Batch.objects.filter(pk=batch.pk).update(available=18)
    buyer = User.objects.create(email="once@example.com")
    order = make_order(
        user=buyer, batch=batch, quantity=2, method="card", stripe_payment_intent_id="pi_race"
    )
    event = stripe_event(
        "payment_intent.succeeded",
        {
            "id": "pi_race",
            "object": "payment_intent",
            "amount": order.amount_cents,
            "amount_received": order.amount_cents,
            "currency": order.currency,
            "status": "succeeded",
        },
    )

    results = run_together(10, lambda i: deliver(SchemaCheckedClient(), event).json())
    assert sorted(r["applied"] for r in results) == [False] * 9 + [True], results
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert ChainTransaction.objects.filter(function="mintPacks").count() == 1
    batch.refresh_from_db()
    assert batch.available == 18
    run_background()
    buyer.refresh_from_db()
    contract = trackpacks_contract()
    assert contract.functions.balanceOf(buyer.custodial_address, batch.pack_token_id).call() == 2


def test_concurrent_success_and_cancel_agree(catalog: Batch) -> None:
    batch = catalog
    Batch.objects.filter(pk=batch.pk).update(available=19)
    buyer = User.objects.create(email="agree@example.com")
    order = make_order(user=buyer, batch=batch, method="card", stripe_payment_intent_id="pi_x")
    intent = {"id": "pi_x", "amount": order.amount_cents, "currency": order.currency}
    events = [
        stripe_event("payment_intent.succeeded", intent),
        stripe_event("payment_intent.canceled", intent),
    ] * 3
    run_together(len(events), lambda i: deliver(SchemaCheckedClient(), events[i]).status_code)
    order.refresh_from_db()
    batch.refresh_from_db()
    # Whatever the arrival order, a succeeded payment wins and holds exactly its one pack.
    assert order.status == OrderStatus.PAID
    assert batch.available == 19
    assert ChainTransaction.objects.filter(function="mintPacks").count() == 1
    run_background()
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    buyer.refresh_from_db()
    contract = trackpacks_contract()
    assert contract.functions.balanceOf(buyer.custodial_address, batch.pack_token_id).call() == 1


def test_one_buyer_racing_past_the_pending_order_limit(stripe_local: str, settings: Any) -> None:
    """Hoarding: the limit is checked under the buyer's row lock, so six orders sent at once
    by one account still leave at most ORDER_MAX_PENDING_PER_USER of them."""
    settings.ORDER_MAX_PENDING_PER_USER = 2
    batch = make_batch(supply=40)
    client = buyer_client(0)

    def order(i: int) -> tuple[int, str | None]:
        response = client.post(
            "/api/v1/orders/",
            {"batch": batch.pk, "quantity": 1, "method": "card"},
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        code = response.json()["error"]["code"] if response.status_code != 201 else None
        return response.status_code, code

    results = run_together(6, order)
    assert Counter(results) == {(201, None): 2, (409, "too_many_pending_orders"): 4}, results
    batch.refresh_from_db()
    assert batch.available == 38


def test_late_authorisations_racing_for_the_last_packs(catalog: Batch) -> None:
    """Two released orders are authorised at once with packs left for one: one is paid, the
    other's authorisation is cancelled; no clamp, never below zero."""
    Batch.objects.filter(pk=catalog.pk).update(available=2)
    orders = [
        make_order(
            user=User.objects.create(email=f"late{i}@example.com"),
            batch=catalog,
            quantity=2,
            method="card",
            status=OrderStatus.CANCELED,
            stripe_payment_intent_id=f"pi_late_{i}",
        )
        for i in range(2)
    ]
    events = [
        stripe_event(
            "payment_intent.amount_capturable_updated",
            {
                "id": order.stripe_payment_intent_id,
                "object": "payment_intent",
                "amount": order.amount_cents,
                "amount_capturable": order.amount_cents,
                "currency": order.currency,
                "status": "requires_capture",
            },
        )
        for order in orders
    ]
    results = run_together(2, lambda i: deliver(SchemaCheckedClient(), events[i]).status_code)
    assert results == [200, 200]
    statuses = sorted(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list(
        "status", "reserved"))  # fmt: skip
    assert statuses == [(OrderStatus.CANCELED, False), (OrderStatus.PAID, True)]
    catalog.refresh_from_db()
    assert catalog.available == 0
    assert ChainTransaction.objects.filter(function="mintPacks").count() == 1
    [cancel] = StripeCall.objects.all()
    assert cancel.action == "cancel"
