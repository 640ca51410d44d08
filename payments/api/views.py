from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.auth import request_user
from core.idempotency import HEADER, run_idempotently
from core.schema import error_response
from payments import selectors, services
from payments.api import serializers as s
from payments.models import Order
from payments.throttles import OrderCreateThrottle

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    location=OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended order (8-255 printable characters). A retry with the same "
    "key and body replays the first response; another body with the same key is refused.",
)


@extend_schema_view(
    list=extend_schema(operation_id="orders_list", tags=["orders"]),
    retrieve=extend_schema(operation_id="orders_retrieve", tags=["orders"]),
)
class OrderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    serializer_class = s.OrderSerializer
    queryset = Order.objects.none()  # typed path parameter in the schema; see get_queryset
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.order_list(user=request_user(self.request))

    def get_throttles(self) -> Any:
        if self.action == "create":
            return [OrderCreateThrottle()]
        return super().get_throttles()

    @extend_schema(
        operation_id="orders_create",
        tags=["orders"],
        parameters=[IDEMPOTENCY_PARAMETER],
        request=s.OrderCreateInputSerializer,
        responses={201: s.OrderSerializer, 409: error_response(409), 422: error_response(422)},
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
