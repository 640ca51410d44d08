"""Stripe Customers, one per user, and what the mobile PaymentSheet needs to pay an order."""

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import User
from core.errors import ApplicationError, Conflict, NotFound
from payments.models import Order, OrderStatus, PaymentMethod
from payments.stripe_client import (
    customer_create,
    ephemeral_key_create,
    payment_intent_attach_customer,
)


def stripe_customer_ensure(*, user: User) -> str:
    """The user's Stripe Customer id, created once (the user row is locked meanwhile, and the
    Stripe call carries an idempotency key, so concurrent first calls make one customer)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.stripe_customer_id:
            locked.stripe_customer_id = customer_create(user_id=locked.pk, email=locked.email)
            locked.save(update_fields=["stripe_customer_id"])
    user.stripe_customer_id = locked.stripe_customer_id
    return locked.stripe_customer_id


def payment_sheet_for(*, user: User, order_id: int) -> dict[str, Any]:
    order = Order.objects.filter(pk=order_id, user=user).first()
    if order is None:
        raise NotFound("Order not found.")
    if order.method != PaymentMethod.CARD:
        raise ApplicationError(
            "Only card orders are paid with PaymentSheet.", code="not_a_card_order"
        )
    if order.status != OrderStatus.PENDING or not order.stripe_payment_intent_id:
        raise Conflict(
            f"This order is {order.status}: there is nothing to pay.",
            code="order_not_payable",
            details={"order_status": order.status},
        )
    customer = stripe_customer_ensure(user=user)
    payment_intent_attach_customer(
        payment_intent_id=order.stripe_payment_intent_id, customer_id=customer
    )
    return {
        "customer": customer,
        "ephemeral_key": ephemeral_key_create(customer_id=customer),
        "payment_intent": order.stripe_client_secret,
        "payment_intent_id": order.stripe_payment_intent_id,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
