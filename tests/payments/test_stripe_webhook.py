"""The Stripe webhook: signatures, repeats, arrival order, and what each event does to an order."""

import time
from typing import Any

import pytest

from accounts.models import User
from chain.models import ChainTransaction
from payments import services
from payments.handlers import _mint_status
from payments.models import Order, OrderStatus, StripeCall, StripeEvent
from tests.factories import make_batch, make_order, make_pack, make_user
from tests.payments.stripe_fixtures import WEBHOOK_URL, deliver, signature_header, stripe_event
from trackpacks.models import Batch, Custody, PackStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db: None) -> Batch:
    return make_batch(supply=10)


@pytest.fixture
def buyer(db: None) -> User:
    return make_user()


def card_order(batch: Batch, user: User, quantity: int = 2, **fields: Any) -> Order:
    """A pending card order as `order_create` leaves it: inventory reserved, PI attached."""
    Batch.objects.filter(pk=batch.pk).update(available=batch.available - quantity)
    fields.setdefault("reserved", True)
    return make_order(
        user=user,
        batch=batch,
        quantity=quantity,
        method="card",
        stripe_payment_intent_id=f"pi_{time.monotonic_ns()}",
        **fields,
    )


def intent(order: Order, **overrides: Any) -> dict[str, Any]:
    """The PaymentIntent as a `payment_intent.succeeded` event carries it (captured)."""
    return {
        "id": order.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": order.amount_cents,
        "amount_received": order.amount_cents,
        "amount_capturable": 0,
        "capture_method": "manual",
        "currency": order.currency,
        "status": "succeeded",
        "metadata": {"order_id": str(order.pk), "order_ref": order.order_ref},
        **overrides,
    }


def authorised(order: Order, **overrides: Any) -> dict[str, Any]:
    """The PaymentIntent of `payment_intent.amount_capturable_updated`: held, not captured."""
    return intent(
        order,
        **{
            "status": "requires_capture",
            "amount_received": 0,
            "amount_capturable": order.amount_cents,
            **overrides,
        },
    )


def available(batch: Batch) -> int:
    batch.refresh_from_db()
    return batch.available


def mints() -> list[ChainTransaction]:
    return list(ChainTransaction.objects.filter(function="mintPacks"))


def assert_refused(response: Any) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert StripeEvent.objects.count() == 0


def test_bad_signature_changes_nothing(api: Any, batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer)
    assert_refused(
        deliver(api, stripe_event("payment_intent.succeeded", intent(order)), secret="whsec_other")
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_missing_signature_is_refused(api: Any, batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer)
    response = api.post(
        WEBHOOK_URL,
        data=stripe_event("payment_intent.payment_failed", intent(order)),
        format="json",
    )
    assert_refused(response)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert available(batch) == 8


def test_stale_signature_is_refused(api: Any, batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer)
    event = stripe_event("payment_intent.canceled", intent(order))
    assert_refused(deliver(api, event, at=int(time.time()) - 301))
    assert available(batch) == 8


def test_body_changed_after_signing_is_refused(api: Any, batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer)
    payload = '{"id": "evt_1", "object": "event", "type": "charge.refunded"}'
    response = api.post(
        WEBHOOK_URL,
        data=payload.replace("evt_1", "evt_2"),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload),
    )
    assert_refused(response)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def test_unknown_event_type_is_acknowledged_and_ignored(api: Any) -> None:
    response = deliver(api, stripe_event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    assert response.json() == {"received": True, "applied": False}


def test_authorisation_pays_and_queues_one_mint_without_capturing(
    api: Any, chain: Any, batch: Batch, buyer: User
) -> None:
    order = card_order(batch, buyer)
    event = stripe_event("payment_intent.amount_capturable_updated", authorised(order))
    first = deliver(api, event)
    assert first.json() == {"received": True, "applied": True}
    assert deliver(api, event).json() == {"received": True, "applied": False}

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.paid_at is not None
    assert order.authorised_at is not None
    assert order.captured_at is None
    assert not StripeCall.objects.exists()  # nothing is captured before the packs exist
    [mint] = mints()
    buyer.refresh_from_db()
    assert mint.sender_role == "minter"
    assert mint.reference == f"order:{order.pk}:mint"
    assert mint.args == [buyer.pk, batch.pk, 2, order.order_ref]  # to custodialAddress(user id)
    assert available(batch) == 8


def test_failure_after_authorisation_changes_nothing(
    api: Any, chain: Any, batch: Batch, buyer: User
) -> None:
    order = card_order(batch, buyer)
    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(order)))
    deliver(
        api,
        stripe_event(
            "payment_intent.payment_failed", intent(order, status="requires_payment_method")
        ),
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert available(batch) == 8
    assert len(mints()) == 1


def test_authorisation_cancelled_elsewhere_flags_the_order(
    api: Any, chain: Any, batch: Batch, buyer: User
) -> None:
    """Stripe voids an uncaptured authorisation after 7 days (or someone cancels it in the
    dashboard): the packs must not be used while nobody has paid for them."""
    order = card_order(batch, buyer)
    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(order)))
    deliver(api, stripe_event("payment_intent.canceled", intent(order, status="canceled")))
    order.refresh_from_db()
    assert (order.status, order.status_reason) == (OrderStatus.REVIEW, "authorisation_canceled")
    assert order.frozen
    assert available(batch) == 8


def test_success_after_cancel_retakes_the_inventory(
    api: Any, chain: Any, batch: Batch, buyer: User
) -> None:
    order = card_order(batch, buyer)
    deliver(api, stripe_event("payment_intent.canceled", intent(order, status="canceled")))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert available(batch) == 10

    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(order)))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert available(batch) == 8
    assert len(mints()) == 1


def test_success_for_an_expired_order_still_fulfils(
    api: Any, chain: Any, batch: Batch, buyer: User
) -> None:
    order = card_order(batch, buyer, status=OrderStatus.EXPIRED, reserved=False)
    Batch.objects.filter(pk=batch.pk).update(available=10)
    deliver(api, stripe_event("payment_intent.succeeded", intent(order)))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert available(batch) == 8


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"amount": 1, "amount_received": 1}, "wrong_amount"),
        ({"currency": "eur"}, "wrong_currency"),
    ],
)
def test_mismatched_payment_goes_to_review(
    api: Any, batch: Batch, buyer: User, overrides: dict[str, Any], reason: str
) -> None:
    order = card_order(batch, buyer)
    deliver(api, stripe_event("payment_intent.succeeded", intent(order, **overrides)))
    order.refresh_from_db()
    assert order.status == OrderStatus.REVIEW
    assert order.status_reason == reason
    assert mints() == []
    assert available(batch) == 8  # held until a human decides


def test_cancel_releases_the_reservation_once(api: Any, batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer, quantity=3)
    assert available(batch) == 7
    deliver(api, stripe_event("payment_intent.canceled", intent(order, status="canceled")))
    deliver(api, stripe_event("payment_intent.canceled", intent(order, status="canceled")))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert available(batch) == 10


def test_event_for_an_unknown_intent_is_acknowledged(api: Any, batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer)
    stranger = intent(order, id="pi_nobody")
    assert deliver(api, stripe_event("payment_intent.succeeded", stranger)).status_code == 200
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def charge(order: Order, refunded: bool = True) -> dict[str, Any]:
    return {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": order.stripe_payment_intent_id,
        "amount": order.amount_cents,
        "amount_refunded": order.amount_cents if refunded else 1,
        "refunded": refunded,
    }


def test_refund_voids_unopened_packs(api: Any, batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer, status=OrderStatus.FULFILLED)
    unopened = make_pack(owner=buyer, batch=batch, order=order, custody=Custody.CUSTODIAL)
    opened = make_pack(
        owner=buyer, batch=batch, order=order, custody=Custody.CUSTODIAL, status=PackStatus.OPENED
    )
    deliver(api, stripe_event("charge.refunded", charge(order)))
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    unopened.refresh_from_db()
    opened.refresh_from_db()
    assert unopened.status == PackStatus.VOID
    assert opened.status == PackStatus.OPENED
    assert available(batch) == 8  # the packs exist on chain


def test_refund_before_the_mint_lands_issues_void_packs(
    api: Any, chain: Any, batch: Batch, buyer: User
) -> None:
    order = card_order(batch, buyer)
    deliver(api, stripe_event("payment_intent.succeeded", intent(order)))
    deliver(api, stripe_event("charge.refunded", charge(order)))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED

    services.card_order_mint_landed(order_ref=order.order_ref, holder="0x" + "cd" * 20, quantity=2)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert [p.status for p in order.packs.all()] == [PackStatus.VOID, PackStatus.VOID]


def test_refund_overtaking_success_releases_and_stays_refunded(
    api: Any, batch: Batch, buyer: User
) -> None:
    order = card_order(batch, buyer)
    deliver(api, stripe_event("charge.refunded", charge(order)))
    deliver(api, stripe_event("payment_intent.succeeded", intent(order)))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    assert available(batch) == 10
    assert mints() == []


def test_partial_refund_goes_to_review(api: Any, batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer, status=OrderStatus.FULFILLED)
    deliver(api, stripe_event("charge.refunded", charge(order, refunded=False)))
    order.refresh_from_db()
    assert order.status == OrderStatus.REVIEW
    assert order.status_reason == "partial_refund"


def test_mint_landing_fulfils_once(batch: Batch, buyer: User) -> None:
    order = card_order(batch, buyer, status=OrderStatus.PAID)
    holder = "0x" + "cd" * 20
    for _ in range(2):
        services.card_order_mint_landed(
            order_ref=order.order_ref.upper(), holder=holder, quantity=2
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert order.fulfilled_at is not None
    packs = list(order.packs.all())
    assert len(packs) == 2
    assert {(p.custody, p.holder_address, p.status) for p in packs} == {
        (Custody.CUSTODIAL, holder, PackStatus.UNOPENED)
    }

    services.card_order_mint_reverted(order_ref=order.order_ref)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.packs.count() == 0


def test_failed_mint_cancels_the_authorisation_and_frees_the_packs(
    batch: Batch, buyer: User
) -> None:
    order = card_order(batch, buyer, status=OrderStatus.PAID)
    tx = ChainTransaction(
        function="mintPacks",
        reference=f"order:{order.pk}:mint",
        status=ChainTransaction.Status.FAILED,
        failure_reason="reverted: OrderRefAlreadyUsed(bytes32)",
    )
    _mint_status(tx)
    _mint_status(tx)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert order.status_reason == "mint_failed: reverted: OrderRefAlreadyUsed(bytes32)"
    assert available(batch) == 10
    assert list(StripeCall.objects.values_list("action", "status")) == [("cancel", "pending")]


def test_refund_of_a_payment_under_review_frees_the_packs(
    api: Any, batch: Batch, buyer: User
) -> None:
    order = card_order(batch, buyer)
    deliver(api, stripe_event("payment_intent.succeeded", intent(order, currency="eur")))
    assert available(batch) == 8
    deliver(api, stripe_event("charge.refunded", charge(order)))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    assert available(batch) == 10  # nothing was minted for it


def test_refund_after_a_failed_mint_frees_the_packs(batch: Batch, buyer: User, api: Any) -> None:
    order = card_order(batch, buyer, status=OrderStatus.PAID)
    tx = ChainTransaction.objects.create(
        chain_id=31337,
        sender_role="minter",
        sender_address="0x" + "11" * 20,
        to_address="0x" + "22" * 20,
        function="mintPacks",
        args=[],
        calldata="0x",
        reference=f"order:{order.pk}:mint",
        status=ChainTransaction.Status.FAILED,
        failure_reason="reverted: OrderRefAlreadyUsed(bytes32)",
    )
    _mint_status(tx)
    deliver(api, stripe_event("charge.refunded", charge(order)))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    assert available(batch) == 10
