"""Orders: reserve inventory, take payment (crypto on chain, card through Stripe), settle once.

Inventory is `Batch.available`, changed only by conditional UPDATEs, so concurrent orders can
never take it below zero. Order rows are locked (select_for_update) before any status change,
so settling, expiring and reviewing an order are serialised."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from accounts.models import User
from chain.models import ChainTransaction
from chain.outbox import chain_tx_enqueue
from chain.wallet_calls import contract_address, encode_call
from core.errors import ApplicationError, Conflict
from payments import stripe_client
from payments.models import (
    DisputeStatus,
    Order,
    OrderEvent,
    OrderEventAction,
    OrderStatus,
    PaymentMethod,
    StripeCall,
    StripeEvent,
    new_order_ref,
)
from trackpacks.models import Batch, ChainStatus, Custody, PackStatus
from trackpacks.services import batch_release_inventory, batch_sale_is_live, packs_issue

logger = logging.getLogger(__name__)


def _reserve(*, batch_id: int, quantity: int) -> None:
    taken = Batch.objects.filter(pk=batch_id, available__gte=quantity).update(
        available=F("available") - quantity
    )
    if not taken:
        raise Conflict("Not enough packs left in this batch.", code="sold_out")


def _reserve_again(order: Order) -> bool:
    """Takes a released order's packs out of the inventory again, only if they are still
    there (a conditional UPDATE: never below zero, never a clamp). The order is locked."""
    if order.reserved:
        return True
    taken = Batch.objects.filter(pk=order.batch_id, available__gte=order.quantity).update(
        available=F("available") - order.quantity
    )
    if taken:
        order.reserved = True
        order.save(update_fields=["reserved", "updated_at"])
    return bool(taken)


def _release(order: Order) -> None:
    """Puts a locked order's packs back on sale, once."""
    if not order.reserved:
        return
    batch_release_inventory(batch_id=order.batch_id, quantity=order.quantity)
    order.reserved = False
    order.save(update_fields=["reserved", "updated_at"])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _orderable_batch(*, batch_id: int) -> Batch:
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise ApplicationError("No such batch.", code="batch_not_found", status_code=404)
    if batch.chain_status != ChainStatus.REGISTERED or not batch_sale_is_live(batch):
        raise ApplicationError(
            "This batch is not on sale.",
            code="batch_not_on_sale",
            details={
                "sale_starts_at": _iso(batch.sale_starts_at) if batch.sale_open else None,
                "sale_ends_at": _iso(batch.sale_ends_at) if batch.sale_open else None,
            },
        )
    return batch


def _check_user_limits(*, user: User, batch_id: int, quantity: int) -> None:
    """Anti-hoarding: a few accounts must not be able to reserve a whole drop. The caller
    holds the user's row lock, so one user's concurrent orders are counted one by one."""
    pending = Order.objects.filter(user=user, status=OrderStatus.PENDING).count()
    if pending >= settings.ORDER_MAX_PENDING_PER_USER:
        raise Conflict(
            "You have too many unpaid orders; pay for or cancel one first.",
            code="too_many_pending_orders",
            details={"limit": settings.ORDER_MAX_PENDING_PER_USER, "pending": pending},
        )
    held = (
        Order.objects.filter(user=user, batch_id=batch_id, reserved=True).aggregate(
            total=Sum("quantity")
        )["total"]
        or 0
    )
    limit = settings.ORDER_MAX_PACKS_PER_BATCH_PER_USER
    if held + quantity > limit:
        raise ApplicationError(
            f"At most {limit} packs of this batch per buyer.",
            code="batch_limit_reached",
            details={"limit": limit, "held": held},
        )


@transaction.atomic
def order_create(*, user: User, batch_id: int, quantity: int, method: str) -> Order:
    if not 1 <= quantity <= settings.ORDER_MAX_QUANTITY:
        raise ApplicationError(
            f"Quantity must be between 1 and {settings.ORDER_MAX_QUANTITY}.",
            code="invalid_quantity",
        )
    batch = _orderable_batch(batch_id=batch_id)
    if (
        method == PaymentMethod.CARD
        and settings.CARD_ORDERS_REQUIRE_VERIFIED_EMAIL
        and not user.email_verified
    ):
        # The receipt and any dispute go to this address: it must reach the buyer.
        raise ApplicationError(
            "Confirm your email address before paying by card (POST /auth/email/verify/resend/).",
            code="email_not_verified",
            status_code=403,
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_user_limits(user=user, batch_id=batch.pk, quantity=quantity)
    payer = ""
    if method == PaymentMethod.CRYPTO:
        payer = user.wallet_address or ""
        if not payer:
            raise ApplicationError(
                "Link a wallet (SIWE) before paying with crypto.", code="wallet_required"
            )
    if batch.available < quantity:
        raise Conflict("Not enough packs left in this batch.", code="sold_out")
    order = Order.objects.create(
        user=user,
        batch=batch,
        quantity=quantity,
        method=method,
        amount_cents=batch.price_cents * quantity,
        currency=batch.currency,
        amount_wei=batch.price_wei * quantity,
        payer_address=payer,
        reserved=True,  # the _reserve below takes the packs, or everything rolls back
        expires_at=timezone.now() + timedelta(minutes=settings.ORDER_RESERVATION_MINUTES),
    )
    if method == PaymentMethod.CRYPTO:
        # The wallet call is a fact of the order: fixed now, so reading an order needs no chain.
        order.pay_to_address = contract_address()
        order.pay_calldata = encode_call("buyPacks", [batch.pk, quantity, order.order_ref])
        order.save(update_fields=["pay_to_address", "pay_calldata"])
    if method == PaymentMethod.CARD:
        # Stripe is called before the reservation's UPDATE takes the batch row lock, so
        # concurrent buyers of a batch do not queue behind the provider's latency.
        _payment_intent_attach(order=order)
    try:
        _reserve(batch_id=batch.pk, quantity=quantity)
    except Conflict:
        if order.stripe_payment_intent_id:
            stripe_client.payment_intent_cancel(payment_intent_id=order.stripe_payment_intent_id)
        raise
    return order


def _payment_intent_attach(*, order: Order) -> None:
    intent = stripe_client.payment_intent_create(
        amount_cents=order.amount_cents,
        currency=order.currency,
        order_id=order.pk,
        order_ref=order.order_ref,
    )
    order.stripe_payment_intent_id = intent.id
    order.stripe_client_secret = intent.client_secret or ""
    order.save(update_fields=["stripe_payment_intent_id", "stripe_client_secret", "updated_at"])


def _locked_order(**lookup: Any) -> Order | None:
    """The order row, locked until the end of the transaction (every status change takes it)."""
    return (
        Order.objects.select_for_update().select_related("batch", "user").filter(**lookup).first()
    )


@dataclass(frozen=True)
class CryptoPurchase:
    """A `PacksPurchased` event as the order needs it."""

    order_ref: str
    buyer: str
    batch_id: int
    quantity: int
    paid_wei: int
    tx_hash: str


def _from_linked_wallet(*, order: Order, purchase: CryptoPurchase) -> bool:
    return bool(order.payer_address) and purchase.buyer.lower() == order.payer_address.lower()


def crypto_purchase_problem(*, order: Order, purchase: CryptoPurchase) -> str | None:
    """Why a purchase does not pay for an order, or None when it does."""
    if order.method != PaymentMethod.CRYPTO:
        return "not_a_crypto_order"
    if not _from_linked_wallet(order=order, purchase=purchase):
        return "wrong_payer"
    if purchase.batch_id != order.batch_id or purchase.quantity != order.quantity:
        return "wrong_quantity"
    if purchase.paid_wei != int(order.amount_wei):
        return "wrong_amount"
    return None


def order_settle_crypto(*, purchase: CryptoPurchase) -> Order | None:
    """Applies a confirmed purchase event; called once per event by the indexer."""
    order = _locked_order(order_ref=purchase.order_ref.lower())
    if order is None:
        logger.warning(
            "Purchase with unknown order_ref %s in %s", purchase.order_ref, purchase.tx_hash
        )
        return None
    if order.method != PaymentMethod.CRYPTO or not _from_linked_wallet(
        order=order, purchase=purchase
    ):
        # Order references are public (they are in the wallet call): anyone may copy one into
        # their own purchase. Only the order's linked wallet settles it; a stranger's
        # transaction buys the stranger's own packs and changes nothing here.
        logger.warning(
            "Purchase %s by %s names order %s of another wallet: ignored",
            purchase.tx_hash,
            purchase.buyer,
            order.pk,
        )
        return None
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.CANCELED):
        if order.tx_hash.lower() != purchase.tx_hash.lower():
            # Buyer references are not stored on chain, so a wallet can pay twice for one
            # order: the second purchase's packs are in the wallet but not in any order.
            logger.error(
                "ALERT order %s paid again by its wallet in %s (%s packs): refund or record",
                order.pk,
                purchase.tx_hash,
                purchase.quantity,
            )
        return order
    if not _reserve_again(order):
        # Paid on chain after the reservation ended and the packs were sold again: the chain's
        # supply is the real limit, so the buyer keeps them; a card order still waiting for its
        # mint then fails on chain and its authorisation is cancelled (never captured).
        logger.error("Order %s paid on chain after its packs were sold again", order.pk)
        order.status_reason = "paid_after_release_without_stock"
    now = timezone.now()
    order.tx_hash = purchase.tx_hash
    problem = crypto_purchase_problem(order=order, purchase=purchase)
    if problem is not None:
        _order_flag(order, problem)
        return order
    packs_issue(
        owner=order.user,
        batch=order.batch,
        quantity=order.quantity,
        custody=Custody.SELF,
        holder_address=purchase.buyer,
        order=order,
    )
    order.status = OrderStatus.FULFILLED
    order.paid_at = order.fulfilled_at = now
    order.save(
        update_fields=[
            "status",
            "status_reason",
            "paid_at",
            "fulfilled_at",
            "tx_hash",
            "updated_at",
        ]
    )
    return order


def order_unsettle_crypto(*, order_ref: str, tx_hash: str) -> None:
    """A reorg took a purchase back: the order is pending again and its packs are gone (only
    if that purchase is the one that settled it, not a stranger's copy of its reference)."""
    order = _locked_order(order_ref=order_ref.lower())
    if order is None or order.status not in (OrderStatus.FULFILLED, OrderStatus.REVIEW):
        return
    if order.tx_hash.lower() != tx_hash.lower():
        return
    order.packs.all().delete()
    order.status = OrderStatus.PENDING
    order.paid_at = order.fulfilled_at = None
    order.tx_hash = order.status_reason = ""
    order.save()


@transaction.atomic
def order_expire(*, order_id: int) -> bool:
    order = _locked_order(pk=order_id)
    if order is None or order.status != OrderStatus.PENDING or order.expires_at > timezone.now():
        return False
    order.status = OrderStatus.EXPIRED
    order.save(update_fields=["status", "updated_at"])
    _release(order)
    if order.stripe_payment_intent_id:
        # Durable: a worker cancels the PaymentIntent (retrying until Stripe answers). An
        # authorisation that still lands first is honoured if the packs are still there.
        stripe_call_enqueue(order=order, action=StripeCall.Action.CANCEL)
    return True


@transaction.atomic
def order_cancel(*, user: User, order_id: int) -> Order:
    """The buyer gives up an unpaid order: the packs go back on sale at once."""
    order = _locked_order(pk=order_id, user=user)
    if order is None:
        raise ApplicationError("Order not found.", code="not_found", status_code=404)
    if order.status != OrderStatus.PENDING:
        raise Conflict(
            f"This order is {order.status}; only a pending order can be cancelled.",
            code="order_not_pending",
        )
    order.status = OrderStatus.CANCELED
    order.status_reason = "canceled_by_buyer"
    order.save(update_fields=["status", "status_reason", "updated_at"])
    _release(order)
    if order.stripe_payment_intent_id:
        stripe_call_enqueue(order=order, action=StripeCall.Action.CANCEL)
    return order


def orders_expire_due() -> int:
    due = Order.objects.filter(status=OrderStatus.PENDING, expires_at__lte=timezone.now())
    return sum(order_expire(order_id=pk) for pk in due.values_list("pk", flat=True))


def order_crypto_tx_submit(*, user: User, order_id: int, tx_hash: str) -> Order:
    """Settles a crypto order now from the fan's transaction hash, instead of waiting for the
    indexer; the same event path applies it, so it can never be applied twice."""
    from chain.indexer import chain_ingest_transaction

    order = Order.objects.filter(pk=order_id, user=user).first()
    if order is None:
        raise ApplicationError("Order not found.", code="not_found", status_code=404)
    if order.method != PaymentMethod.CRYPTO:
        raise ApplicationError("Only crypto orders take a transaction.", code="not_a_crypto_order")
    events = chain_ingest_transaction(tx_hash=tx_hash)
    purchases = [
        purchase_from_event_args(e.args, tx_hash=e.tx_hash)
        for e in events
        if e.event_name == "PacksPurchased"
    ]
    mine = [p for p in purchases if p.order_ref.lower() == order.order_ref]
    order.refresh_from_db()
    if not mine:
        raise ApplicationError(
            "That transaction does not pay for this order.", code="order_ref_mismatch"
        )
    problem = crypto_purchase_problem(order=order, purchase=mine[0])
    if problem is not None:
        raise ApplicationError(
            "That transaction does not match the order.",
            code=problem,
            details={"order_status": order.status},
        )
    return order


def purchase_from_event_args(args: dict[str, Any], *, tx_hash: str) -> CryptoPurchase:
    return CryptoPurchase(
        order_ref=str(args["orderRef"]).lower(),
        buyer=str(args["buyer"]),
        batch_id=int(args["batchId"]),
        quantity=int(args["quantity"]),
        paid_wei=int(args["paid"]),
        tx_hash=tx_hash,
    )


# --------------------------------------------------------------------------- card (Stripe)


def _locked_card_order(*, payment_intent_id: str) -> Order | None:
    if not payment_intent_id:
        return None
    return _locked_order(method=PaymentMethod.CARD, stripe_payment_intent_id=payment_intent_id)


def card_payment_problem(*, order: Order, amount: int, currency: str) -> str | None:
    if amount != order.amount_cents:
        return "wrong_amount"
    if currency.lower() != order.currency.lower():
        return "wrong_currency"
    return None


def _mint_reference(order: Order) -> str:
    return f"order:{order.pk}:mint"


def _remint_reference_prefix(order: Order) -> str:
    return f"order:{order.pk}:remint:"


def _mint_queued_or_done(order: Order) -> bool:
    return (
        order.packs.exists()
        or ChainTransaction.objects.filter(
            Q(reference=_mint_reference(order))
            | Q(reference__startswith=_remint_reference_prefix(order))
        )
        .exclude(status=ChainTransaction.Status.FAILED)
        .exists()
    )


def _order_flag(order: Order, reason: str) -> None:
    order.status = OrderStatus.REVIEW
    order.status_reason = reason[:200]
    order.save(update_fields=["status", "status_reason", "paid_at", "tx_hash", "updated_at"])
    logger.warning("Order %s flagged for review: %s", order.pk, order.status_reason)


def _set_reason(order: Order, reason: str) -> None:
    order.status_reason = reason[:200]
    order.save(update_fields=["status_reason", "updated_at"])


# Released reservations (the order was never paid): a late payment may still take them back.
_RELEASED = (OrderStatus.EXPIRED, OrderStatus.CANCELED, OrderStatus.FAILED)


def _give_payment_back(order: Order, *, captured: bool) -> None:
    """We will not deliver: cancel the authorisation, or refund money already captured."""
    if captured:
        stripe_call_enqueue(order=order, action=StripeCall.Action.REFUND)
    else:
        stripe_call_enqueue(order=order, action=StripeCall.Action.CANCEL)


def _late_payment_accepted(order: Order, *, captured: bool) -> bool:
    """A payment for an order whose reservation was released (expired or cancelled before
    Stripe told us it was paid). It is honoured only if our cancel has not reached Stripe yet
    and the packs are still on sale; otherwise the money goes back and the order says why."""
    cancel = (
        StripeCall.objects.select_for_update()
        .filter(order=order, action=StripeCall.Action.CANCEL)
        .first()
    )
    if cancel is not None and cancel.status == StripeCall.Status.DONE:
        if captured:
            stripe_call_enqueue(order=order, action=StripeCall.Action.REFUND)
        _set_reason(order, "paid_after_cancel: payment cancelled")
        return False
    if _reserve_again(order):
        if cancel is not None and cancel.status == StripeCall.Status.PENDING:
            cancel.status = StripeCall.Status.SUPERSEDED
            cancel.save(update_fields=["status", "updated_at"])
        return True
    _give_payment_back(order, captured=captured)
    refund_or_cancel = "refunded" if captured else "authorisation cancelled"
    _set_reason(order, f"sold_out_after_release: payment {refund_or_cancel}")
    return False


def _card_payment_received(intent: dict[str, Any], *, captured: bool) -> None:
    """An authorisation (`requires_capture`) or a captured payment (`succeeded`)."""
    order = _locked_card_order(payment_intent_id=str(intent.get("id", "")))
    if order is None:
        logger.warning("Card payment for no order: %s", intent.get("id"))
        return
    if order.paid_at is not None:
        # Already accepted (or refused as a mismatch): a repeat, or the capture confirmed.
        if captured and order.captured_at is None and order.status != OrderStatus.REFUNDED:
            order.captured_at = timezone.now()
            order.save(update_fields=["captured_at", "updated_at"])
        return
    if order.status == OrderStatus.REFUNDED:
        return
    if order.status in _RELEASED and not _late_payment_accepted(order, captured=captured):
        return
    now = timezone.now()
    order.paid_at = order.authorised_at = now
    order.captured_at = now if captured else None
    if captured:
        amount = intent.get("amount_received", intent.get("amount"))
    else:
        amount = intent.get("amount_capturable", intent.get("amount"))
    problem = card_payment_problem(
        order=order, amount=int(amount or 0), currency=str(intent.get("currency", ""))
    )
    if problem is not None:
        # Held (not captured, not cancelled) until a human decides.
        order.save(update_fields=["authorised_at", "captured_at"])
        _order_flag(order, problem)
        return
    order.status = OrderStatus.PAID
    order.status_reason = ""
    order.save(
        update_fields=[
            "status", "status_reason", "paid_at", "authorised_at", "captured_at", "updated_at"
        ]
    )  # fmt: skip
    chain_tx_enqueue(
        sender_role="minter",
        function="mintPacks",
        # The contract mints to custodialAddress(user id): it cannot be pointed at any wallet.
        args=[order.user_id, order.batch_id, order.quantity, order.order_ref],
        reference=_mint_reference(order),
    )


def _card_payment_failed(intent: dict[str, Any]) -> None:
    """Not final: the buyer may retry on the same PaymentIntent, so the packs stay reserved
    until the order is cancelled or expires."""
    order = _locked_card_order(payment_intent_id=str(intent.get("id", "")))
    if order is None or order.status != OrderStatus.PENDING:
        return
    error = intent.get("last_payment_error") or {}
    code = error.get("code") or error.get("decline_code") if isinstance(error, dict) else None
    _set_reason(order, f"payment_failed: {code}" if code else "payment_failed")


def _card_payment_canceled(intent: dict[str, Any]) -> None:
    order = _locked_card_order(payment_intent_id=str(intent.get("id", "")))
    if order is None:
        return
    if order.status == OrderStatus.PENDING:
        order.status = OrderStatus.CANCELED
        order.status_reason = "canceled"
        order.save(update_fields=["status", "status_reason", "updated_at"])
        _release(order)
        return
    if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED) and order.captured_at is None:
        # The authorisation is gone (Stripe voids it after 7 days, or someone cancelled it in
        # the dashboard) while we still meant to capture: the packs are frozen for a human.
        _order_flag(order, "authorisation_canceled")


def _card_refunded(charge: dict[str, Any]) -> None:
    order = _locked_card_order(payment_intent_id=str(charge.get("payment_intent") or ""))
    if order is None or order.status == OrderStatus.REFUNDED:
        return
    if not charge.get("refunded", True):
        if order.status != OrderStatus.REVIEW:
            _order_flag(order, "partial_refund")
        return
    if not _mint_queued_or_done(order):
        # Nothing is or will be on chain for this order (the refund overtook the payment
        # event, the payment was under review, or the mint failed): its packs go back on sale.
        _release(order)
    order.status = OrderStatus.REFUNDED
    order.status_reason = order.status_reason or "refunded"
    order.save(update_fields=["status", "status_reason", "updated_at"])
    # Unopened packs are void; songs from opened ones stay frozen (Order.frozen).
    order.packs.filter(status=PackStatus.UNOPENED).update(
        status=PackStatus.VOID, updated_at=timezone.now()
    )


def _dispute_opened(dispute: dict[str, Any]) -> None:
    order = _locked_card_order(payment_intent_id=str(dispute.get("payment_intent") or ""))
    if order is None or order.dispute_status in (DisputeStatus.WON, DisputeStatus.LOST):
        return  # a closed dispute is not reopened by a late "created" event
    order.dispute_status = DisputeStatus.OPEN
    order.save(update_fields=["dispute_status", "updated_at"])
    logger.warning("Order %s disputed: its packs and songs are frozen", order.pk)


def _dispute_closed(dispute: dict[str, Any]) -> None:
    order = _locked_card_order(payment_intent_id=str(dispute.get("payment_intent") or ""))
    if order is None:
        return
    lost = dispute.get("status") == "lost"
    order.dispute_status = DisputeStatus.LOST if lost else DisputeStatus.WON
    order.save(update_fields=["dispute_status", "updated_at"])


_STRIPE_APPLIERS = {
    "payment_intent.amount_capturable_updated": lambda intent: _card_payment_received(
        intent, captured=False
    ),
    "payment_intent.succeeded": lambda intent: _card_payment_received(intent, captured=True),
    "payment_intent.payment_failed": _card_payment_failed,
    "payment_intent.canceled": _card_payment_canceled,
    "charge.refunded": _card_refunded,
    "charge.dispute.created": _dispute_opened,
    "charge.dispute.closed": _dispute_closed,
}


@transaction.atomic
def stripe_event_apply(*, event: dict[str, Any]) -> bool:
    """Applies a verified Stripe event once; False for a repeat or an event type we ignore.

    The event id is inserted first: a concurrent duplicate blocks on the unique index until
    this transaction ends, then sees the id and does nothing. Each applier locks the order
    and moves it only forward from its current state, so arrival order does not matter."""
    applier = _STRIPE_APPLIERS.get(event["type"])
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event["id"], type=event["type"][:100])
    except IntegrityError:
        return False
    if applier is None:
        return False
    obj = (event.get("data") or {}).get("object") or {}
    applier(obj)
    return True


def card_order_mint_landed(*, order_ref: str, holder: str, quantity: int) -> Order | None:
    """A `PacksMinted` event: the order's packs exist on chain (applied once by the indexer);
    now, and only now, the authorised payment is captured.

    Card references live in their own space on chain (only `mintPacks` writes them), so a
    stranger who copies one into `buyPacks` cannot make our mint revert."""
    order = _locked_order(order_ref=order_ref.lower())
    if order is None or order.method != PaymentMethod.CARD:
        return None
    if order.packs.exists():
        return order
    if order.status not in (OrderStatus.PAID, OrderStatus.REVIEW, OrderStatus.REFUNDED):
        logger.warning("Order %s minted while %s; packs issued anyway", order.pk, order.status)
    if quantity != order.quantity:
        logger.warning("Order %s minted %s packs, ordered %s", order.pk, quantity, order.quantity)
    packs = packs_issue(
        owner=order.user,
        batch=order.batch,
        quantity=quantity,
        custody=Custody.CUSTODIAL,
        holder_address=holder,
        order=order,
    )
    if order.status == OrderStatus.REFUNDED:
        order.packs.filter(pk__in=[p.pk for p in packs]).update(status=PackStatus.VOID)
        return order
    if order.status != OrderStatus.PAID:
        return order
    order.status = OrderStatus.FULFILLED
    order.fulfilled_at = timezone.now()
    order.save(update_fields=["status", "fulfilled_at", "updated_at"])
    if order.captured_at is None:
        stripe_call_enqueue(order=order, action=StripeCall.Action.CAPTURE)
    return order


def card_order_mint_reverted(*, order_ref: str) -> None:
    """A reorg took the mint back; the outbox sends the same transaction again."""
    order = _locked_order(order_ref=order_ref.lower())
    if order is None or order.method != PaymentMethod.CARD:
        return
    if order.packs.exclude(status__in=(PackStatus.UNOPENED, PackStatus.VOID)).exists():
        logger.error("Order %s: mint reorged away after a pack was opened", order.pk)
        return
    order.packs.all().delete()
    if order.status == OrderStatus.FULFILLED:
        order.status = OrderStatus.PAID
        order.fulfilled_at = None
        order.save(update_fields=["status", "fulfilled_at", "updated_at"])


def card_order_mint_failed(*, order_id: int, reason: str) -> None:
    """The packs could not be minted: nothing was captured, so the authorisation is cancelled
    (or, for money already captured, refunded) and the packs go back on sale."""
    order = _locked_order(pk=order_id)
    if order is None or order.status != OrderStatus.PAID:
        return
    order.status = OrderStatus.FAILED
    order.status_reason = f"mint_failed: {reason}"[:200]
    order.save(update_fields=["status", "status_reason", "updated_at"])
    _release(order)
    _give_payment_back(order, captured=order.captured_at is not None)
    logger.warning("Order %s: %s; payment given back", order.pk, order.status_reason)


# --------------------------------------------------------------------------- Stripe calls


def stripe_call_enqueue(*, order: Order, action: str) -> StripeCall:
    """Inside the caller's transaction; at most one call per order and action."""
    call, created = StripeCall.objects.get_or_create(
        order=order, action=action, defaults={"next_attempt_at": timezone.now()}
    )
    if not created and call.status == StripeCall.Status.SUPERSEDED:
        call.status = StripeCall.Status.PENDING
        call.next_attempt_at = timezone.now()
        call.save(update_fields=["status", "next_attempt_at", "updated_at"])
    return call


def stripe_calls_process_due(*, limit: int = 50) -> int:
    due = StripeCall.objects.filter(
        status=StripeCall.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at", "pk")
    ids = list(due.values_list("pk", flat=True)[:limit])
    for call_id in ids:
        stripe_call_run(call_id=call_id)
    return len(ids)


_STRIPE_ACTIONS = {  # looked up at call time (tests swap in a simulated Stripe)
    StripeCall.Action.CAPTURE: "payment_intent_capture",
    StripeCall.Action.CANCEL: "payment_intent_cancel_once",
    StripeCall.Action.REFUND: "payment_intent_refund",
}
# Where Stripe refuses a call because the intent is already where the call would take it.
_ALREADY_DONE = {
    StripeCall.Action.CAPTURE: "succeeded",
    StripeCall.Action.CANCEL: "canceled",
}


def stripe_call_run(*, call_id: int) -> None:
    """One attempt. Locks in the fixed order order -> call (as the webhook does) and holds
    them during the request, so two workers never send the same call at once and a webhook
    decides only after the call's outcome is recorded; the idempotency key covers a crash
    after Stripe answered."""
    order_id = StripeCall.objects.filter(pk=call_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return
    with transaction.atomic():
        _locked_order(pk=order_id)
        call = (
            StripeCall.objects.select_for_update()
            .select_related("order")
            .filter(pk=call_id, status=StripeCall.Status.PENDING)
            .first()
        )
        if call is None:
            return
        error = _stripe_call_send(call)
        call.attempts += 1
        if error is None:
            call.status = StripeCall.Status.DONE
        elif error.transient:
            call.next_attempt_at = timezone.now() + timedelta(seconds=min(2**call.attempts, 300))
        else:
            call.status = StripeCall.Status.FAILED
        call.last_error = (error.message if error else "")[:300]
        call.save()
        if call.status == StripeCall.Status.DONE:
            _stripe_call_done(call)
        elif call.status == StripeCall.Status.FAILED:
            _stripe_call_refused(call)


@dataclass(frozen=True)
class _CallError:
    message: str
    transient: bool


def _stripe_call_send(call: StripeCall) -> _CallError | None:
    intent_id = call.order.stripe_payment_intent_id
    try:
        getattr(stripe_client, _STRIPE_ACTIONS[StripeCall.Action(call.action)])(
            payment_intent_id=intent_id, idempotency_key=call.idempotency_key
        )
    except stripe.StripeError as exc:
        if stripe_client.is_transient(exc):
            return _CallError(str(exc), transient=True)
        try:
            status = stripe_client.payment_intent_status(payment_intent_id=intent_id)
        except stripe.StripeError:
            return _CallError(str(exc), transient=True)
        if status == _ALREADY_DONE.get(StripeCall.Action(call.action)):
            return None
        return _CallError(f"{exc} (intent {status})", transient=False)
    return None


def _stripe_call_done(call: StripeCall) -> None:
    if call.action != StripeCall.Action.CAPTURE:
        return
    order = _locked_order(pk=call.order_id)
    if order is not None and order.captured_at is None:
        order.captured_at = timezone.now()
        order.save(update_fields=["captured_at", "updated_at"])


def _stripe_call_refused(call: StripeCall) -> None:
    order = _locked_order(pk=call.order_id)
    if order is None:
        return
    if call.action == StripeCall.Action.CANCEL and "(intent succeeded)" in call.last_error:
        # Captured after all (not by us): the money goes back instead.
        stripe_call_enqueue(order=order, action=StripeCall.Action.REFUND)
        return
    logger.error("Stripe refused to %s order %s: %s", call.action, order.pk, call.last_error)
    if call.action == StripeCall.Action.CAPTURE and order.status == OrderStatus.FULFILLED:
        _order_flag(order, f"capture_failed: {call.last_error}")
    else:
        _set_reason(order, f"{call.action}_failed")


# --------------------------------------------------------------------------- staff actions
# Each one locks the order, checks its state, acts, and records who did what and why.


def _staff_order(order_id: int) -> Order:
    order = _locked_order(pk=order_id)
    if order is None:
        raise ApplicationError("Order not found.", code="not_found", status_code=404)
    return order


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(
            "Say why (the reason is kept in the order's history).", code="reason_required"
        )
    return reason[:500]


def order_event_record(
    *,
    order: Order,
    actor: User | None,
    action: str,
    reason: str,
    details: dict[str, Any] | None = None,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, actor=actor, action=action, reason=reason, details=details or {}
    )


@transaction.atomic
def order_refund(*, order_id: int, actor: User, reason: str) -> Order:
    """Gives a card payment back through Stripe: the authorisation is cancelled, or money
    already captured refunded (a durable Stripe call, retried by the worker). Unopened packs
    become void, songs from opened ones stay frozen, packs never minted go back on sale. The
    webhook that follows (`charge.refunded` / `payment_intent.canceled`) changes nothing."""
    reason = _clean_reason(reason)
    order = _staff_order(order_id)
    if order.method != PaymentMethod.CARD:
        raise ApplicationError(
            "Only card orders are refunded here; crypto is paid back from the treasury.",
            code="not_refundable",
        )
    if order.status not in (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.REVIEW):
        raise Conflict(f"A {order.status} order has no payment to refund.", code="not_refundable")
    previous = order.status
    captured = order.captured_at is not None
    _give_payment_back(order, captured=captured)
    if not _mint_queued_or_done(order):
        _release(order)
    order.status = OrderStatus.REFUNDED
    order.status_reason = "refunded_by_staff"
    order.save(update_fields=["status", "status_reason", "updated_at"])
    order.packs.filter(status=PackStatus.UNOPENED).update(
        status=PackStatus.VOID, updated_at=timezone.now()
    )
    order_event_record(
        order=order,
        actor=actor,
        action=OrderEventAction.REFUNDED,
        reason=reason,
        details={"previous_status": previous, "stripe": "refund" if captured else "cancel"},
    )
    return order


@transaction.atomic
def order_review_remint(*, order_id: int, actor: User, reason: str) -> Order:
    """Resolves a card order in review by minting its packs under a fresh order reference
    (the old one may be spent on chain, e.g. copied into someone's `buyPacks`)."""
    reason = _clean_reason(reason)
    order = _staff_order(order_id)
    if order.status != OrderStatus.REVIEW:
        raise Conflict("Only an order in review can be re-minted.", code="not_in_review")
    if order.method != PaymentMethod.CARD:
        raise ApplicationError(
            "Only card orders are re-minted; a crypto buyer's packs come from their own purchase.",
            code="not_a_card_order",
        )
    if _mint_queued_or_done(order):
        raise Conflict("This order's packs are minted or on their way.", code="mint_pending")
    old_ref = order.order_ref
    order.order_ref = new_order_ref()
    order.status = OrderStatus.PAID
    order.status_reason = ""
    order.save(update_fields=["order_ref", "status", "status_reason", "updated_at"])
    chain_tx_enqueue(
        sender_role="minter",
        function="mintPacks",
        args=[order.user_id, order.batch_id, order.quantity, order.order_ref],
        reference=f"{_remint_reference_prefix(order)}{order.order_ref[2:18]}",
    )
    order_event_record(
        order=order,
        actor=actor,
        action=OrderEventAction.REMINTED,
        reason=reason,
        details={"previous_order_ref": old_ref, "order_ref": order.order_ref},
    )
    return order


@transaction.atomic
def order_reservation_cancel(*, order_id: int, actor: User, reason: str) -> Order:
    """Ends a pending order's reservation now: its packs go back on sale and its card payment
    intent is cancelled (a durable Stripe call). A payment that still lands first is handled
    like a late one after expiry."""
    reason = _clean_reason(reason)
    order = _staff_order(order_id)
    if order.status != OrderStatus.PENDING:
        raise Conflict(f"A {order.status} order holds no reservation.", code="not_pending")
    order.status = OrderStatus.CANCELED
    order.status_reason = "canceled_by_staff"
    order.save(update_fields=["status", "status_reason", "updated_at"])
    _release(order)
    order_event_record(
        order=order, actor=actor, action=OrderEventAction.RESERVATION_CANCELLED, reason=reason
    )
    if order.stripe_payment_intent_id:
        stripe_call_enqueue(order=order, action=StripeCall.Action.CANCEL)
    return order
