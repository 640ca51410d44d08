"""Orders: reserve inventory, take payment (crypto on chain, card through Stripe), settle once.

Inventory is `Batch.available`, changed only by conditional UPDATEs, so concurrent orders can
never take it below zero. Order rows are locked (select_for_update) before any status change,
so settling, expiring and reviewing an order are serialised."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from chain.models import ChainTransaction
from chain.outbox import chain_tx_enqueue
from chain.wallet_calls import contract_address, encode_call
from core.errors import ApplicationError, Conflict
from payments.models import HOLDS_INVENTORY, Order, OrderStatus, PaymentMethod, StripeEvent
from payments.stripe_client import payment_intent_cancel, payment_intent_create
from trackpacks.models import Batch, ChainStatus, Custody, PackStatus
from trackpacks.services import batch_release_inventory, packs_issue

logger = logging.getLogger(__name__)


def _reserve(*, batch_id: int, quantity: int) -> None:
    taken = Batch.objects.filter(pk=batch_id, available__gte=quantity).update(
        available=F("available") - quantity
    )
    if not taken:
        raise Conflict("Not enough packs left in this batch.", code="sold_out")


def _orderable_batch(*, batch_id: int) -> Batch:
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise ApplicationError("No such batch.", code="batch_not_found", status_code=404)
    if not batch.sale_open or batch.chain_status != ChainStatus.REGISTERED:
        raise ApplicationError("This batch is not on sale.", code="batch_not_on_sale")
    return batch


@transaction.atomic
def order_create(*, user: User, batch_id: int, quantity: int, method: str) -> Order:
    if not 1 <= quantity <= settings.ORDER_MAX_QUANTITY:
        raise ApplicationError(
            f"Quantity must be between 1 and {settings.ORDER_MAX_QUANTITY}.",
            code="invalid_quantity",
        )
    batch = _orderable_batch(batch_id=batch_id)
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
            payment_intent_cancel(payment_intent_id=order.stripe_payment_intent_id)
        raise
    return order


def _payment_intent_attach(*, order: Order) -> None:
    intent = payment_intent_create(
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


def _retake_released_inventory(order: Order) -> None:
    # The payment was taken after the reservation was released (expired, failed): the
    # buyer gets the packs, so they leave the inventory again.
    Batch.objects.filter(pk=order.batch_id).update(
        available=Greatest(F("available") - order.quantity, 0)
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
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED):
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
    if order.status == OrderStatus.EXPIRED:
        _retake_released_inventory(order)
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
    order.save(update_fields=["status", "paid_at", "fulfilled_at", "tx_hash", "updated_at"])
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


def order_expire(*, order_id: int) -> bool:
    with transaction.atomic():
        order = _locked_order(pk=order_id)
        if (
            order is None
            or order.status != OrderStatus.PENDING
            or order.expires_at > timezone.now()
        ):
            return False
        order.status = OrderStatus.EXPIRED
        order.save(update_fields=["status", "updated_at"])
        batch_release_inventory(batch_id=order.batch_id, quantity=order.quantity)
    if order.stripe_payment_intent_id:
        # After the commit: the order is expired either way. A payment that still succeeds
        # (the cancel lost a race) re-takes the inventory when its webhook arrives.
        payment_intent_cancel(payment_intent_id=order.stripe_payment_intent_id)
    return True


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


def _mint_queued_or_done(order: Order) -> bool:
    return (
        order.packs.exists()
        or ChainTransaction.objects.filter(reference=_mint_reference(order))
        .exclude(status=ChainTransaction.Status.FAILED)
        .exists()
    )


def _order_flag(order: Order, reason: str) -> None:
    order.status = OrderStatus.REVIEW
    order.status_reason = reason[:200]
    order.save(update_fields=["status", "status_reason", "paid_at", "tx_hash", "updated_at"])
    logger.warning("Order %s flagged for review: %s", order.pk, order.status_reason)


def _card_payment_succeeded(intent: dict[str, Any]) -> None:
    order = _locked_card_order(payment_intent_id=str(intent.get("id", "")))
    if order is None:
        logger.warning("payment_intent.succeeded for no order: %s", intent.get("id"))
        return
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.FAILED):
        return  # already paid, refunded or under review: a late or repeated event
    if order.status != OrderStatus.PENDING:
        # The reservation was released, but the money was taken: the buyer gets the packs.
        _retake_released_inventory(order)
    order.paid_at = timezone.now()
    received = intent["amount_received"] if "amount_received" in intent else intent.get("amount")
    problem = card_payment_problem(
        order=order, amount=int(received or 0), currency=str(intent.get("currency", ""))
    )
    if problem is not None:
        _order_flag(order, problem)
        return
    order.status = OrderStatus.PAID
    order.save(update_fields=["status", "paid_at", "updated_at"])
    chain_tx_enqueue(
        sender_role="minter",
        function="mintPacks",
        # The contract mints to custodialAddress(user id): it cannot be pointed at any wallet.
        args=[order.user_id, order.batch_id, order.quantity, order.order_ref],
        reference=_mint_reference(order),
    )


def _card_payment_ended(intent: dict[str, Any], *, reason: str) -> None:
    order = _locked_card_order(payment_intent_id=str(intent.get("id", "")))
    if order is None or order.status != OrderStatus.PENDING:
        return
    order.status = OrderStatus.FAILED
    order.status_reason = reason
    order.save(update_fields=["status", "status_reason", "updated_at"])
    batch_release_inventory(batch_id=order.batch_id, quantity=order.quantity)


def _card_refunded(charge: dict[str, Any]) -> None:
    order = _locked_card_order(payment_intent_id=str(charge.get("payment_intent") or ""))
    if order is None or order.status == OrderStatus.REFUNDED:
        return
    if not charge.get("refunded", True):
        if order.status != OrderStatus.REVIEW:
            _order_flag(order, "partial_refund")
        return
    if order.status in HOLDS_INVENTORY and not _mint_queued_or_done(order):
        # Nothing is or will be on chain for this order (the refund overtook the success
        # event, the payment was under review, or the mint failed): its packs go back on sale.
        batch_release_inventory(batch_id=order.batch_id, quantity=order.quantity)
    order.status = OrderStatus.REFUNDED
    order.status_reason = "refunded"
    order.save(update_fields=["status", "status_reason", "updated_at"])
    order.packs.filter(status=PackStatus.UNOPENED).update(
        status=PackStatus.VOID, updated_at=timezone.now()
    )


_STRIPE_APPLIERS = {
    "payment_intent.succeeded": _card_payment_succeeded,
    "payment_intent.payment_failed": lambda intent: _card_payment_ended(
        intent, reason="payment_failed"
    ),
    "payment_intent.canceled": lambda intent: _card_payment_ended(intent, reason="canceled"),
    "charge.refunded": _card_refunded,
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
    """A `PacksMinted` event: the order's packs exist on chain (applied once by the indexer).

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
    order.status = OrderStatus.FULFILLED
    order.fulfilled_at = timezone.now()
    order.save(update_fields=["status", "fulfilled_at", "updated_at"])
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
    """The payment was taken but the mint failed: a human refunds or retries."""
    order = _locked_order(pk=order_id)
    if order is None or order.status != OrderStatus.PAID:
        return
    _order_flag(order, f"mint_failed: {reason}")
