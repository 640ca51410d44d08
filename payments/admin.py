from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from console.forms import reason_action
from payments import services
from payments.models import Order, OrderEvent, StripeEvent


class OrderEventInline(admin.TabularInline[OrderEvent, Order]):
    model = OrderEvent
    fields = ["created_at", "actor", "action", "reason", "details"]
    readonly_fields = ["created_at", "actor", "action", "reason", "details"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


refund = admin.action(description="Refund through Stripe", permissions=["refund_order"])(
    reason_action(
        name="refund",
        question="Refund these card orders in full through Stripe? Unopened packs become void.",
        confirm="Refund",
        done="Orders refunded",
        call=lambda order, actor, reason: services.order_refund(
            order_id=order.pk, actor=actor, reason=reason
        ),
    )
)
remint = admin.action(
    description="Resolve review: re-mint under a fresh reference", permissions=["resolve_review"]
)(
    reason_action(
        name="remint",
        question="Mint these orders' packs again under a fresh order reference?",
        confirm="Re-mint",
        done="Orders re-minted",
        call=lambda order, actor, reason: services.order_review_remint(
            order_id=order.pk, actor=actor, reason=reason
        ),
    )
)
cancel_reservation = admin.action(
    description="Cancel the reservation", permissions=["cancel_reservation"]
)(
    reason_action(
        name="cancel_reservation",
        question="End these pending orders' reservations now? Their packs go back on sale.",
        confirm="Cancel reservation",
        done="Reservations cancelled",
        call=lambda order, actor, reason: services.order_reservation_cancel(
            order_id=order.pk, actor=actor, reason=reason
        ),
    )
)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = [
        "id",
        "user",
        "batch",
        "quantity",
        "method",
        "status",
        "status_reason",
        "amount_cents",
        "created_at",
    ]
    list_filter = ["status", "method", "batch"]
    search_fields = ["=order_ref", "user__email", "tx_hash"]
    list_select_related = ["user", "batch"]
    exclude = ["stripe_client_secret"]
    readonly_fields = [f.name for f in Order._meta.fields if f.name != "stripe_client_secret"]
    date_hierarchy = "created_at"
    inlines = [OrderEventInline]
    actions = [refund, remint, cancel_reservation]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # orders change only through the actions (services)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_refund_order_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.refund_order")

    def has_resolve_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.resolve_review")

    def has_cancel_reservation_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.cancel_reservation")


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin[OrderEvent]):
    """The staff audit trail: who did what to which order, when and why."""

    list_display = ["created_at", "order", "action", "actor", "reason"]
    list_filter = ["action"]
    search_fields = ["=order__id", "order__order_ref", "actor__email", "reason"]
    list_select_related = ["order", "actor"]
    readonly_fields = ["order", "actor", "action", "reason", "details", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin[StripeEvent]):
    list_display = ["event_id", "type", "received_at"]
    list_filter = ["type"]
    search_fields = ["=event_id"]
    readonly_fields = ["event_id", "type", "received_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
