from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.auth import request_user
from core.idempotency import HEADER, run_idempotently
from core.schema import ErrorSerializer, error_response
from payments import selectors, services
from payments.api import serializers as s
from payments.customers import payment_sheet_for
from payments.filters import OrderFilter
from payments.models import Order
from payments.stripe_client import webhook_event_construct
from payments.throttles import OrderCreateThrottle
from trackpacks.filters import StrictOrderingFilter

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    location=OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended order (8-255 printable characters). A retry with the same "
    "key and body replays the first response; another body with the same key is refused.",
)

PROVIDER_UNAVAILABLE = OpenApiResponse(
    ErrorSerializer,
    description="`payment_provider_unavailable`: Stripe could not be reached; nothing was "
    "reserved. Retry with the same Idempotency-Key.",
)


@extend_schema_view(
    list=extend_schema(operation_id="orders_list", tags=["orders"]),
    retrieve=extend_schema(
        operation_id="orders_retrieve", tags=["orders"], responses=s.OrderDetailSerializer
    ),
)
class OrderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    serializer_class = s.OrderSerializer
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = OrderFilter
    ordering_fields = ["created_at", "id"]
    queryset = Order.objects.none()  # typed path parameter in the schema; see get_queryset
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        if self.action == "retrieve":
            return selectors.order_list(user=request_user(self.request)).prefetch_related("events")
        return selectors.order_list(user=request_user(self.request))

    def get_serializer_class(self) -> Any:
        return s.OrderDetailSerializer if self.action == "retrieve" else s.OrderSerializer

    def get_throttles(self) -> Any:
        if self.action == "create":
            return [OrderCreateThrottle()]
        return super().get_throttles()

    @extend_schema(
        operation_id="orders_create",
        tags=["orders"],
        parameters=[IDEMPOTENCY_PARAMETER],
        request=s.OrderCreateInputSerializer,
        responses={
            201: s.OrderSerializer,
            409: error_response(409),
            422: error_response(422),
            503: PROVIDER_UNAVAILABLE,
        },
    )
    def create(self, request: Request) -> Response:
        user = request_user(request)
        data = s.OrderCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def create_order() -> Response:
            order = services.order_create(
                user=user,
                batch_id=data.validated_data["batch"],
                quantity=data.validated_data["quantity"],
                method=data.validated_data["method"],
            )
            return Response(s.OrderSerializer(order).data, status=status.HTTP_201_CREATED)

        return run_idempotently(
            request=request,
            user=user,
            scope="orders.create",
            body=data.validated_data,
            action=create_order,
        )

    @extend_schema(
        operation_id="orders_cancel",
        tags=["orders"],
        request=None,
        responses={200: s.OrderSerializer, 404: error_response(404), 409: error_response(409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Gives up an unpaid order: its packs go back on sale at once and the card payment,
        if any, is cancelled at Stripe."""
        order = services.order_cancel(user=request_user(request), order_id=int(pk))
        return Response(s.OrderSerializer(order).data)

    @extend_schema(
        operation_id="orders_payment_sheet",
        tags=["orders"],
        request=None,
        responses={200: s.PaymentSheetSerializer, 409: error_response(409)},
    )
    @action(detail=True, methods=["post"], url_path="payment-sheet")
    def payment_sheet(self, request: Request, pk: str) -> Response:
        sheet = payment_sheet_for(user=request_user(request), order_id=int(pk))
        return Response(s.PaymentSheetSerializer(sheet).data)

    @extend_schema(
        operation_id="orders_crypto_tx",
        tags=["orders"],
        request=s.CryptoTxInputSerializer,
        responses={200: s.OrderSerializer, 409: error_response(409), 422: error_response(422)},
    )
    @action(detail=True, methods=["post"], url_path="crypto-tx")
    def crypto_tx(self, request: Request, pk: str) -> Response:
        data = s.CryptoTxInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_crypto_tx_submit(
            user=request_user(request), order_id=int(pk), tx_hash=data.validated_data["tx_hash"]
        )
        return Response(s.OrderSerializer(order).data)


class StripeWebhookView(APIView):
    """Stripe calls this; it is authenticated by the signature, not by a user."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        operation_id="payments_stripe_webhook",
        tags=["payments"],
        auth=[],
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                location=OpenApiParameter.HEADER,
                required=True,
                description="Stripe's signature of the raw body (`t=...,v1=...`).",
            )
        ],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: s.StripeWebhookOutputSerializer, 400: error_response(400)},
    )
    def post(self, request: Request) -> Response:
        event = webhook_event_construct(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        applied = services.stripe_event_apply(event=event)
        return Response(
            s.StripeWebhookOutputSerializer({"received": True, "applied": applied}).data
        )
