"""Issue 11's card findings, each against the adversary that broke it: Stripe behaving as
documented (a decline is not final, events late and out of order), a mint that fails after
the payment, hoarders, and a stolen card (open, withdraw, sell, charge back).

Webhooks go over HTTP with real signatures (self-signed with the endpoint secret)."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from web3 import Web3

from accounts.models import User
from chain.models import ChainTransaction, TokenBalance
from payments import services
from payments.handlers import _mint_status
from payments.models import Order, OrderStatus, StripeCall
from tests.factories import make_batch, make_order, make_pack, make_song, make_user
from tests.payments.stripe_fixtures import deliver, stripe_event
from tests.payments.test_stripe_webhook import authorised, card_order, intent
from trackpacks.models import Batch, Custody, Opening, PackStatus, RevealedSong, Song
from trackpacks.services import pack_open, withdrawal_create

pytestmark = pytest.mark.django_db


def held_plus_available(batch: Batch) -> tuple[int, int]:
    batch.refresh_from_db()
    held = sum(Order.objects.filter(batch=batch, reserved=True).values_list("quantity", flat=True))
    return held, batch.available


def calls(order: Order) -> list[tuple[str, str]]:
    return list(order.stripe_calls.values_list("action", "status"))


def failed(order: Order) -> dict[str, Any]:
    return intent(
        order,
        status="requires_payment_method",
        amount_received=0,
        last_payment_error={"code": "card_declined"},
    )


# --------------------------------------------------------------------------- no oversell


def test_declined_card_keeps_its_packs_so_a_later_success_cannot_oversell(
    api: Any, chain: Any
) -> None:
    """Issue 11, first finding: supply 2; A's card is declined; B reserves 2; A then pays.
    Before: A's decline released the packs, B took them, A's success "retook" them through a
    clamp: 4 packs held from a supply of 2. Now the decline keeps A's reservation."""
    batch = make_batch(supply=2)
    fan_a = card_order(batch, make_user(), quantity=2)
    deliver(api, stripe_event("payment_intent.payment_failed", failed(fan_a)))
    fan_a.refresh_from_db()
    assert (fan_a.status, fan_a.status_reason) == ("pending", "payment_failed: card_declined")
    assert held_plus_available(batch) == (2, 0)

    with pytest.raises(Exception, match="Not enough packs") as refused:
        services.order_create(user=make_user(), batch_id=batch.pk, quantity=2, method="card")
    assert refused.value.code == "sold_out"  # type: ignore[attr-defined]

    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(fan_a)))
    fan_a.refresh_from_db()
    assert fan_a.status == OrderStatus.PAID
    assert held_plus_available(batch) == (2, 0)
    assert ChainTransaction.objects.filter(function="mintPacks").count() == 1


def test_authorisation_after_release_with_the_packs_sold_again_is_cancelled(
    api: Any, chain: Any
) -> None:
    """A's reservation expires, B buys the last packs, then A's authorisation lands: no clamp,
    no fifth pack. A's authorisation is cancelled at Stripe and the order says why."""
    batch = make_batch(supply=2)
    fan_a = card_order(batch, make_user(), quantity=2)
    Order.objects.filter(pk=fan_a.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.orders_expire_due() == 1
    fan_b = card_order(batch, make_user(), quantity=2)
    assert held_plus_available(batch) == (2, 0)

    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(fan_a)))
    fan_a.refresh_from_db()
    assert fan_a.status == OrderStatus.EXPIRED
    assert fan_a.status_reason == "sold_out_after_release: payment authorisation cancelled"
    assert calls(fan_a) == [("cancel", "pending")]
    assert held_plus_available(batch) == (2, 0)
    assert not ChainTransaction.objects.exists()
    assert Order.objects.get(pk=fan_b.pk).status == OrderStatus.PENDING


def test_captured_payment_after_release_with_no_stock_is_refunded(api: Any, chain: Any) -> None:
    batch = make_batch(supply=2)
    fan_a = card_order(batch, make_user(), quantity=2)
    deliver(api, stripe_event("payment_intent.canceled", intent(fan_a, status="canceled")))
    card_order(batch, make_user(), quantity=2)

    deliver(api, stripe_event("payment_intent.succeeded", intent(fan_a)))
    fan_a.refresh_from_db()
    assert fan_a.status == OrderStatus.CANCELED
    assert fan_a.status_reason == "sold_out_after_release: payment refunded"
    assert calls(fan_a) == [("refund", "pending")]
    assert held_plus_available(batch) == (2, 0)


def test_late_authorisation_with_stock_left_is_honoured_and_our_cancel_dropped(
    api: Any, chain: Any
) -> None:
    batch = make_batch(supply=5)
    order = card_order(batch, make_user(), quantity=2)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    services.orders_expire_due()
    assert calls(order) == [("cancel", "pending")]

    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(order)))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert calls(order) == [("cancel", "superseded")]
    assert held_plus_available(batch) == (2, 3)


def test_authorisation_after_our_cancel_reached_stripe_is_not_honoured(
    api: Any, chain: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("payments.stripe_client.payment_intent_cancel_once", lambda **kw: None)
    batch = make_batch(supply=5)
    order = card_order(batch, make_user(), quantity=2)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    services.orders_expire_due()
    services.stripe_calls_process_due()
    assert calls(order) == [("cancel", "done")]

    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(order)))
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert order.status_reason == "paid_after_cancel: payment cancelled"
    assert held_plus_available(batch) == (0, 5)


def test_release_after_release_never_breaks_the_supply_constraint(api: Any, chain: Any) -> None:
    """Before: a clamped retake could push a later release above supply; the check
    constraint failed and that refund webhook answered 500 on every retry."""
    batch = make_batch(supply=2)
    fan_a = card_order(batch, make_user(), quantity=2)
    deliver(api, stripe_event("payment_intent.canceled", intent(fan_a, status="canceled")))
    card_order(batch, make_user(), quantity=2)
    deliver(api, stripe_event("payment_intent.succeeded", intent(fan_a)))
    for event in (
        stripe_event("charge.refunded", {"payment_intent": fan_a.stripe_payment_intent_id}),
        stripe_event("payment_intent.canceled", intent(fan_a, status="canceled")),
    ):
        response = deliver(api, event)
        assert response.status_code == 200, response.content
    assert held_plus_available(batch) == (2, 0)
    assert Order.objects.get(pk=fan_a.pk).status == OrderStatus.REFUNDED


# --------------------------------------------------------------------- authorise, mint, capture


def test_capture_happens_only_when_the_mint_lands(api: Any, chain: Any, monkeypatch: Any) -> None:
    captured: list[str] = []
    monkeypatch.setattr(
        "payments.stripe_client.payment_intent_capture",
        lambda *, payment_intent_id, idempotency_key: captured.append(idempotency_key),
    )
    batch = make_batch(supply=5)
    order = card_order(batch, make_user(), quantity=2)
    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(order)))
    services.stripe_calls_process_due()
    assert captured == []

    services.card_order_mint_landed(order_ref=order.order_ref, holder="0x" + "cd" * 20, quantity=2)
    services.card_order_mint_landed(order_ref=order.order_ref, holder="0x" + "cd" * 20, quantity=2)
    services.stripe_calls_process_due()
    services.stripe_calls_process_due()
    assert captured == [f"order:{order.order_ref}:capture"]
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert order.captured_at is not None


def test_failed_mint_is_never_charged(api: Any, chain: Any, monkeypatch: Any) -> None:
    """Issue 11, second finding: the mint reverts after the payment. Before: the money was
    captured and the order waited in review for a manual refund. Now: nothing was captured,
    the authorisation is cancelled and the packs go back on sale."""
    sent: list[str] = []
    for name in ("capture", "cancel_once", "refund"):
        monkeypatch.setattr(
            f"payments.stripe_client.payment_intent_{name}",
            lambda *, payment_intent_id, idempotency_key, name=name: sent.append(name),
        )
    batch = make_batch(supply=5)
    order = card_order(batch, make_user(), quantity=2)
    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(order)))
    [mint] = ChainTransaction.objects.filter(function="mintPacks")
    mint.status = ChainTransaction.Status.FAILED
    mint.failure_reason = "reverted: EnforcedPause()"
    mint.save()
    _mint_status(mint)
    services.stripe_calls_process_due()
    assert sent == ["cancel_once"]
    order.refresh_from_db()
    assert (order.status, order.captured_at) == (OrderStatus.FAILED, None)
    assert held_plus_available(batch) == (0, 5)


def test_transient_stripe_errors_are_retried_and_refusals_flag_the_order(
    api: Any, chain: Any, monkeypatch: Any
) -> None:
    import stripe

    attempts: list[int] = []

    def flaky_capture(*, payment_intent_id: str, idempotency_key: str) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise stripe.APIConnectionError("network down")
        raise stripe.InvalidRequestError("Cannot capture", None, http_status=400)

    monkeypatch.setattr("payments.stripe_client.payment_intent_capture", flaky_capture)
    monkeypatch.setattr("payments.stripe_client.payment_intent_status", lambda **kw: "canceled")
    batch = make_batch(supply=5)
    order = card_order(batch, make_user(), quantity=2)
    deliver(api, stripe_event("payment_intent.amount_capturable_updated", authorised(order)))
    services.card_order_mint_landed(order_ref=order.order_ref, holder="0x" + "cd" * 20, quantity=2)
    services.stripe_calls_process_due()
    assert calls(order) == [("capture", "pending")]
    StripeCall.objects.update(next_attempt_at=timezone.now())
    services.stripe_calls_process_due()
    assert calls(order) == [("capture", "failed")]
    order.refresh_from_db()
    assert order.status == OrderStatus.REVIEW
    assert order.status_reason.startswith("capture_failed:")
    assert order.frozen


# --------------------------------------------------------------------------- user cancel


def test_buyer_cancels_a_pending_order_once(auth_api: Any, user: User) -> None:
    batch = make_batch(supply=5)
    order = card_order(batch, user, quantity=2)
    response = auth_api.post(f"/api/v1/orders/{order.pk}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled"
    assert held_plus_available(batch) == (0, 5)
    again = auth_api.post(f"/api/v1/orders/{order.pk}/cancel/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "order_not_pending"
    assert calls(order) == [("cancel", "pending")]


def test_nobody_cancels_someone_elses_order(auth_api: Any) -> None:
    order = card_order(make_batch(supply=5), make_user(), quantity=1)
    response = auth_api.post(f"/api/v1/orders/{order.pk}/cancel/")
    assert response.status_code == 404
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


# --------------------------------------------------------------------------- hoarding


def order_crypto(client: Any, batch: Batch, quantity: int) -> Any:
    return client.post(
        "/api/v1/orders/",
        {"batch": batch.pk, "quantity": quantity, "method": "crypto"},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )


@pytest.fixture
def linked_api(auth_api: Any, user: User, chain: Any) -> Any:
    user.wallet_address = "0x" + "12" * 20
    user.save()
    return auth_api


def test_pending_order_limit_per_user(linked_api: Any, settings: Any) -> None:
    settings.ORDER_MAX_PENDING_PER_USER = 2
    batch = make_batch(supply=50)
    assert order_crypto(linked_api, batch, 1).status_code == 201
    assert order_crypto(linked_api, batch, 1).status_code == 201
    third = order_crypto(linked_api, batch, 1)
    assert third.status_code == 409
    assert third.json()["error"]["code"] == "too_many_pending_orders"
    assert third.json()["error"]["details"] == {"limit": 2, "pending": 2}
    assert held_plus_available(batch) == (2, 48)


def test_packs_per_batch_limit_per_user(linked_api: Any, settings: Any, user: User) -> None:
    settings.ORDER_MAX_PACKS_PER_BATCH_PER_USER = 5
    batch = make_batch(supply=50)
    make_order(user=user, batch=batch, quantity=3, status=OrderStatus.FULFILLED)
    too_many = order_crypto(linked_api, batch, 3)
    assert too_many.status_code == 422
    assert too_many.json()["error"]["code"] == "batch_limit_reached"
    assert too_many.json()["error"]["details"] == {"limit": 5, "held": 3}
    assert order_crypto(linked_api, batch, 2).status_code == 201
    other_batch = make_batch(supply=50)
    assert order_crypto(linked_api, other_batch, 3).status_code == 201


# --------------------------------------------------------------------------- stolen card


WALLET = Web3.to_checksum_address("0x" + "f0" * 20)


def opened_card_pack(user: User, order: Order, song: Song) -> None:
    pack = make_pack(
        owner=user,
        batch=order.batch,
        order=order,
        custody=Custody.CUSTODIAL,
        holder_address=str(user.custodial_address),
        status=PackStatus.OPENED,
    )
    opening = Opening.objects.create(pack=pack, request_id=pack.pk, revealed_at=timezone.now())
    RevealedSong.objects.create(opening=opening, song=song, position=0)


@pytest.fixture
def card_fan(chain: Any) -> tuple[User, Order, Song]:
    user = make_user(wallet_address=WALLET)
    batch = make_batch(supply=5)
    order = make_order(
        user=user,
        batch=batch,
        method="card",
        status=OrderStatus.FULFILLED,
        stripe_payment_intent_id="pi_stolen",
        paid_at=timezone.now(),
    )
    song = make_song()
    opened_card_pack(user, order, song)
    TokenBalance.objects.create(
        address=str(user.custodial_address), token_id=song.token_id, balance=1
    )
    return user, order, song


def refused_code(user: User, song: Song) -> str:
    with pytest.raises(Exception) as refused:  # noqa: PT011
        withdrawal_create(user=user, token_id=song.token_id, amount=1)
    return str(refused.value.code)  # type: ignore[attr-defined]


def test_card_songs_are_held_before_withdrawal(
    card_fan: tuple[User, Order, Song], chain: Any, settings: Any
) -> None:
    """Issue 11, fifth finding: stolen card -> open -> withdraw at once -> sell -> chargeback."""
    user, order, song = card_fan
    settings.CARD_WITHDRAWAL_HOLD_HOURS = 72
    assert refused_code(user, song) == "withdrawal_on_hold"
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(hours=73))
    withdrawal = withdrawal_create(user=user, token_id=song.token_id, amount=1)
    assert withdrawal.amount == 1


def test_dispute_freezes_packs_and_songs_until_won(
    api: Any, card_fan: tuple[User, Order, Song], chain: Any
) -> None:
    user, order, song = card_fan
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=10))
    unopened = make_pack(
        owner=user,
        batch=order.batch,
        order=order,
        custody=Custody.CUSTODIAL,
        holder_address=str(user.custodial_address),
    )
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": "pi_stolen"}
    deliver(api, stripe_event("charge.dispute.created", {**dispute, "status": "needs_response"}))
    order.refresh_from_db()
    assert order.dispute_status == "open"
    assert refused_code(user, song) == "withdrawal_on_hold"
    with pytest.raises(Exception, match="disputed") as refused:
        pack_open(user=user, pack_id=unopened.pk)
    assert refused.value.code == "pack_frozen"  # type: ignore[attr-defined]
    assert api.get(f"/api/v1/orders/{order.pk}/").status_code == 401  # (not the buyer's client)

    deliver(api, stripe_event("charge.dispute.closed", {**dispute, "status": "won"}))
    order.refresh_from_db()
    assert order.dispute_status == "won"
    assert not order.frozen
    assert withdrawal_create(user=user, token_id=song.token_id, amount=1).amount == 1


def test_lost_dispute_stays_frozen_and_a_late_created_event_cannot_reopen(
    api: Any, card_fan: tuple[User, Order, Song]
) -> None:
    user, order, song = card_fan
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=10))
    dispute = {"id": "dp_2", "object": "dispute", "payment_intent": "pi_stolen"}
    deliver(api, stripe_event("charge.dispute.closed", {**dispute, "status": "lost"}))
    deliver(api, stripe_event("charge.dispute.created", {**dispute, "status": "needs_response"}))
    order.refresh_from_db()
    assert order.dispute_status == "lost"
    assert refused_code(user, song) == "withdrawal_on_hold"


def test_refund_freezes_songs_from_opened_packs(
    api: Any, card_fan: tuple[User, Order, Song]
) -> None:
    user, order, song = card_fan
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=10))
    charge = {"id": "ch_1", "payment_intent": "pi_stolen", "refunded": True}
    deliver(api, stripe_event("charge.refunded", charge))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    assert refused_code(user, song) == "withdrawal_on_hold"


def test_songs_from_crypto_packs_are_not_held(card_fan: tuple[User, Order, Song]) -> None:
    user, order, song = card_fan
    Order.objects.filter(pk=order.pk).update(method="crypto")
    assert withdrawal_create(user=user, token_id=song.token_id, amount=1).amount == 1
