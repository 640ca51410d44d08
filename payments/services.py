"""Orders: reserve inventory, take payment (crypto now, card in payments.stripe), settle once.

Inventory is `Batch.available`, changed only by conditional UPDATEs, so concurrent orders can
never take it below zero. Order rows are locked (select_for_update) before any status change,
so settling, expiring and reviewing an order are serialised."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from core.errors import ApplicationError, Conflict
from payments.models import Order, OrderStatus, PaymentMethod
from trackpacks.models import Batch, ChainStatus, Custody
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
        payer = getattr(user, "wallet_address", None) or ""
        if not payer:
            raise ApplicationError(
                "Link a wallet (SIWE) before paying with crypto.", code="wallet_required"
            )
    _reserve(batch_id=batch.pk, quantity=quantity)
    return Order.objects.create(
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


def _locked_order(*, order_ref: str) -> Order | None:
    return (
        Order.objects.select_for_update()
        .select_related("batch", "user")
        .filter(order_ref=order_ref.lower())
        .first()
    )


def _retake_inventory_of_expired(order: Order) -> None:
    # The chain accepted the payment, so those packs exist: take them back out of inventory.
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


def crypto_purchase_problem(*, order: Order, purchase: CryptoPurchase) -> str | None:
    """Why a purchase does not pay for an order, or None when it does."""
    if order.method != PaymentMethod.CRYPTO:
        return "not_a_crypto_order"
    if purchase.buyer.lower() != order.payer_address.lower():
        return "wrong_payer"
    if purchase.batch_id != order.batch_id or purchase.quantity != order.quantity:
        return "wrong_quantity"
    if purchase.paid_wei != int(order.amount_wei):
        return "wrong_amount"
    return None


def order_settle_crypto(*, purchase: CryptoPurchase) -> Order | None:
    """Applies a confirmed purchase event; called once per event by the indexer."""
    order = _locked_order(order_ref=purchase.order_ref)
    if order is None:
        logger.warning(
            "Purchase with unknown order_ref %s in %s", purchase.order_ref, purchase.tx_hash
        )
        return None
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED):
        return order
    if order.status == OrderStatus.EXPIRED:
        _retake_inventory_of_expired(order)
    now = timezone.now()
    order.tx_hash = purchase.tx_hash
    problem = crypto_purchase_problem(order=order, purchase=purchase)
    if problem is not None:
        order.status = OrderStatus.REVIEW
        order.status_reason = problem
        order.save(update_fields=["status", "status_reason", "tx_hash", "updated_at"])
        logger.warning("Order %s flagged for review: %s", order.pk, problem)
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


def order_unsettle_crypto(*, order_ref: str) -> None:
    """A reorg took a purchase back: the order is pending again and its packs are gone."""
    order = _locked_order(order_ref=order_ref)
    if order is None or order.status not in (OrderStatus.FULFILLED, OrderStatus.REVIEW):
        return
    order.packs.all().delete()
    order.status = OrderStatus.PENDING
    order.paid_at = order.fulfilled_at = None
    order.tx_hash = order.status_reason = ""
    order.save()


@transaction.atomic
def order_expire(*, order_id: int) -> bool:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PENDING or order.expires_at > timezone.now():
        return False
    order.status = OrderStatus.EXPIRED
    order.save(update_fields=["status", "updated_at"])
    batch_release_inventory(batch_id=order.batch_id, quantity=order.quantity)
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
