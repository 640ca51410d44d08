from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializer_fields import StrictIntegerField, Uint256StringField
from payments.models import Order, OrderEvent, OrderStatus, PaymentMethod


class OrderCreateInputSerializer(serializers.Serializer[Any]):
    batch = StrictIntegerField(min_value=1, max_value=2**62)
    quantity = StrictIntegerField(min_value=1, max_value=settings.ORDER_MAX_QUANTITY)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)


class CryptoTxInputSerializer(serializers.Serializer[Any]):
    tx_hash = serializers.RegexField(r"^0x[0-9a-fA-F]{64}$", help_text="0x + 64 hex digits.")


class CryptoPaymentSerializer(serializers.Serializer[Any]):
    """The `buyPacks` transaction the buyer's linked wallet must send."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "data" is the wallet's name for call data, but a reserved attribute on serializers.
        return {
            "chain_id": serializers.IntegerField(),
            "contract_address": serializers.CharField(),
            "function": serializers.CharField(),
            "data": serializers.CharField(help_text="ABI-encoded `buyPacks` call (0x hex)."),
            "value_wei": Uint256StringField(
                help_text="Exact value to send, integer wei as a decimal string."
            ),
            "order_ref": serializers.CharField(),
        }


class CardPaymentSerializer(serializers.Serializer[Any]):
    """What Stripe Elements / PaymentSheet need to confirm the card payment."""

    client_secret = serializers.CharField()
    publishable_key = serializers.CharField()
    payment_intent_id = serializers.CharField()


class PaymentSerializer(serializers.Serializer[Any]):
    crypto = CryptoPaymentSerializer(allow_null=True)
    card = CardPaymentSerializer(allow_null=True)


class StripeWebhookOutputSerializer(serializers.Serializer[Any]):
    received = serializers.BooleanField()
    applied = serializers.BooleanField(
        help_text="False for a repeated event or an event type this API does not use."
    )


class OrderSerializer(serializers.ModelSerializer[Order]):
    amount_wei = Uint256StringField(help_text="Integer wei, as a decimal string.")
    payment = serializers.SerializerMethodField(
        help_text="What the buyer must do to pay, while the order is pending."
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "batch",
            "quantity",
            "method",
            "status",
            "status_reason",
            "amount_cents",
            "currency",
            "amount_wei",
            "order_ref",
            "payer_address",
            "tx_hash",
            "expires_at",
            "paid_at",
            "authorised_at",
            "captured_at",
            "dispute_status",
            "fulfilled_at",
            "created_at",
            "payment",
        ]
        read_only_fields = fields

    @extend_schema_field(PaymentSerializer(allow_null=True))
    def get_payment(self, order: Order) -> dict[str, Any] | None:
        if order.status != OrderStatus.PENDING:
            return None
        crypto = None
        if order.method == PaymentMethod.CRYPTO:
            crypto = {
                "chain_id": settings.CHAIN_ID,
                "contract_address": order.pay_to_address,
                "function": "buyPacks",
                "data": order.pay_calldata,
                "value_wei": str(order.amount_wei),
                "order_ref": order.order_ref,
            }
        card = None
        if order.method == PaymentMethod.CARD and order.stripe_payment_intent_id:
            card = {
                "client_secret": order.stripe_client_secret,
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "payment_intent_id": order.stripe_payment_intent_id,
            }
        return {"crypto": crypto, "card": card}


class OrderEventSerializer(serializers.ModelSerializer[OrderEvent]):
    """A staff action on the order (refund, re-mint, cancelled reservation) and why."""

    class Meta:
        model = OrderEvent
        fields = ["action", "reason", "created_at"]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    history = OrderEventSerializer(
        source="events", many=True, read_only=True, help_text="Staff actions, oldest first."
    )

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "history"]
        read_only_fields = fields


class PaymentSheetSerializer(serializers.Serializer[Any]):
    """The values `PaymentSheet.Configuration` / `initPaymentSheet` take."""

    customer = serializers.CharField(help_text="Your Stripe Customer id (`customerId`).")
    ephemeral_key = serializers.CharField(
        help_text="A short-lived key for that customer only (`customerEphemeralKeySecret`)."
    )
    payment_intent = serializers.CharField(
        help_text="The PaymentIntent's client secret (`paymentIntentClientSecret`)."
    )
    payment_intent_id = serializers.CharField()
    publishable_key = serializers.CharField()
