import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import Uint256Field
from core.models import TimeStampedModel


def new_order_ref() -> str:
    """A random non-zero bytes32, the order's reference on chain (both sale paths)."""
    return "0x" + secrets.token_hex(32)


class PaymentMethod(models.TextChoices):
    CARD = "card"
    CRYPTO = "crypto"


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    CANCELED = "canceled"  # the buyer (or Stripe) cancelled before paying
    REVIEW = "review"  # paid in a way that does not match the order; a human decides


class DisputeStatus(models.TextChoices):
    NONE = ""
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Order(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    batch = models.ForeignKey("trackpacks.Batch", on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=8, choices=PaymentMethod.choices)
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    amount_wei = Uint256Field()
    order_ref = models.CharField(max_length=66, unique=True, default=new_order_ref)
    payer_address = models.CharField(max_length=42, blank=True)
    # Crypto orders: the `buyPacks` call the payer's wallet must send.
    pay_to_address = models.CharField(max_length=42, blank=True)
    pay_calldata = models.TextField(blank=True)
    expires_at = models.DateTimeField(db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    tx_hash = models.CharField(max_length=66, blank=True)
    # True while `quantity` packs of the batch are counted out of `Batch.available` for this
    # order; flipped only together with that count (payments.services), so for every batch
    # sum(quantity of reserved orders) + available == supply.
    reserved = models.BooleanField(default=False)
    # Card: the money is taken only after the packs exist (authorise, mint, then capture).
    authorised_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    dispute_status = models.CharField(
        max_length=8, choices=DisputeStatus.choices, default=DisputeStatus.NONE, blank=True
    )
    status_reason = models.CharField(max_length=200, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Handed to Stripe Elements / PaymentSheet; it can confirm this payment, not read the account.
    stripe_client_secret = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_quantity_positive"),
        ]
        permissions = [
            ("refund_order", "Can refund an order"),
            ("resolve_review", "Can resolve an order in review"),
            ("cancel_reservation", "Can cancel an order's reservation"),
            ("view_dashboard", "Can see the sales dashboard"),
            ("export_sales", "Can export sales reports"),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.method}, {self.status})"

    @property
    def frozen(self) -> bool:
        """Its packs cannot be opened and their songs cannot be withdrawn (chargeback risk)."""
        return self.dispute_status in FROZEN_DISPUTES or self.status in FROZEN_STATUSES


FROZEN_DISPUTES = (DisputeStatus.OPEN, DisputeStatus.LOST)
FROZEN_STATUSES = (OrderStatus.REFUNDED, OrderStatus.REVIEW)


class StripeCall(TimeStampedModel):
    """A call we owe Stripe (capture, cancel or refund of an order's PaymentIntent), written in
    the same DB transaction as the decision and retried by a worker until Stripe answers. The
    Stripe idempotency key makes a repeat harmless."""

    class Action(models.TextChoices):
        CAPTURE = "capture"
        CANCEL = "cancel"
        REFUND = "refund"

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"  # Stripe refused for good; the order says why
        SUPERSEDED = "superseded"  # a later decision made this call unnecessary

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="stripe_calls")
    action = models.CharField(max_length=8, choices=Action.choices)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "action"], name="stripe_call_once_per_action")
        ]

    def __str__(self) -> str:
        return f"{self.action} for order {self.order_id} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"order:{self.order.order_ref}:{self.action}"


class StripeEvent(models.Model):
    """A Stripe webhook event already applied: Stripe delivers events more than once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event_id} ({self.type})"


class OrderEventAction(models.TextChoices):
    REFUNDED = "refunded"
    REMINTED = "reminted"
    RESERVATION_CANCELLED = "reservation_cancelled"


class OrderEvent(models.Model):
    """One staff action on an order: who, when, what and why. Append-only."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    action = models.CharField(max_length=32, choices=OrderEventAction.choices)
    reason = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on order {self.order_id}"
