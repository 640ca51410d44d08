"""Order operations in the admin: each as a staff user of the right group and of the wrong one;
every action lands in the order's history, which the fan reads on the order's API detail."""

from typing import Any

import pytest

from chain.models import ChainTransaction
from payments.models import OrderEvent, OrderStatus
from tests.admin.conftest import messages_of, run_action
from tests.factories import make_batch, make_order
from trackpacks.models import Batch

LIST_URL = "/admin/payments/order/"


@pytest.fixture
def batch(db: None) -> Batch:
    return make_batch(supply=10)


def _reserve(batch: Batch, quantity: int) -> None:
    Batch.objects.filter(pk=batch.pk).update(available=batch.available - quantity)


def test_support_cancels_a_reservation_with_a_reason(
    support: Any, batch: Batch, user: Any, auth_api: Any
) -> None:
    order = make_order(user=user, batch=batch, quantity=3)
    _reserve(batch, 3)
    asked = run_action(support, LIST_URL, "cancel_reservation", [order.pk])
    assert b"Why (kept in the order" in asked.content  # asks first, changes nothing yet
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING

    done = run_action(
        support, LIST_URL, "cancel_reservation", [order.pk], apply="1", reason="fan asked by mail"
    )
    assert "Reservations cancelled: 1." in messages_of(done)
    order.refresh_from_db()
    batch.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert batch.available == 10
    event = OrderEvent.objects.get(order=order)
    assert event.actor is not None
    assert (event.action, event.reason, event.actor.email) == (
        "reservation_cancelled",
        "fan asked by mail",
        "support@example.com",
    )
    detail = auth_api.get(f"/api/v1/orders/{order.pk}/").json()
    assert [(h["action"], h["reason"]) for h in detail["history"]] == [
        ("reservation_cancelled", "fan asked by mail")
    ]


def test_label_manager_cannot_cancel_reservations(
    label_manager: Any, batch: Batch, user: Any
) -> None:
    order = make_order(user=user, batch=batch)
    run_action(label_manager, LIST_URL, "cancel_reservation", [order.pk], apply="1", reason="x")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not OrderEvent.objects.exists()


def test_a_refusal_is_shown_and_records_nothing(support: Any, batch: Batch, user: Any) -> None:
    order = make_order(user=user, batch=batch, status=OrderStatus.FULFILLED)
    done = run_action(support, LIST_URL, "cancel_reservation", [order.pk], apply="1", reason="x")
    assert any("holds no reservation" in m for m in messages_of(done))
    assert not OrderEvent.objects.exists()


def test_an_action_without_a_reason_only_asks(support: Any, batch: Batch, user: Any) -> None:
    order = make_order(user=user, batch=batch)
    run_action(support, LIST_URL, "cancel_reservation", [order.pk], apply="1", reason="  ")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


@pytest.mark.chain
def test_support_remints_a_card_order_in_review_under_a_fresh_reference(
    chain: Any, support: Any, batch: Batch, user: Any
) -> None:
    order = make_order(
        user=user,
        batch=batch,
        method="card",
        status=OrderStatus.REVIEW,
        status_reason="mint_failed",
    )
    old_ref = order.order_ref
    done = run_action(support, LIST_URL, "remint", [order.pk], apply="1", reason="ref was taken")
    assert "Orders re-minted: 1." in messages_of(done)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.order_ref != old_ref
    mint = ChainTransaction.objects.get(function="mintPacks")
    assert mint.reference.startswith(f"order:{order.pk}:remint:")
    assert mint.args[3] == order.order_ref
    event = OrderEvent.objects.get(order=order)
    assert event.details == {"previous_order_ref": old_ref, "order_ref": order.order_ref}

    again = run_action(support, LIST_URL, "remint", [order.pk], apply="1", reason="twice")
    assert any("Only an order in review" in m for m in messages_of(again))
    assert ChainTransaction.objects.filter(function="mintPacks").count() == 1


def test_label_manager_cannot_remint(label_manager: Any, batch: Batch, user: Any) -> None:
    order = make_order(user=user, batch=batch, method="card", status=OrderStatus.REVIEW)
    run_action(label_manager, LIST_URL, "remint", [order.pk], apply="1", reason="x")
    order.refresh_from_db()
    assert order.status == OrderStatus.REVIEW


def test_label_manager_cannot_refund(label_manager: Any, batch: Batch, user: Any) -> None:
    order = make_order(user=user, batch=batch, method="card", status=OrderStatus.FULFILLED)
    run_action(label_manager, LIST_URL, "refund", [order.pk], apply="1", reason="x")
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED


def test_crypto_orders_are_not_refunded_through_stripe(
    support: Any, batch: Batch, user: Any
) -> None:
    order = make_order(user=user, batch=batch, status=OrderStatus.REVIEW)
    done = run_action(support, LIST_URL, "refund", [order.pk], apply="1", reason="x")
    assert any("Only card orders are refunded here" in m for m in messages_of(done))
    order.refresh_from_db()
    assert order.status == OrderStatus.REVIEW


def test_orders_cannot_be_edited_or_deleted_in_the_admin(
    support: Any, batch: Batch, user: Any
) -> None:
    order = make_order(user=user, batch=batch)
    response = support.post(f"/admin/payments/order/{order.pk}/change/", {"status": "fulfilled"})
    assert response.status_code == 403
    assert (
        support.post(f"/admin/payments/order/{order.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
