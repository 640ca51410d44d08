from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.client_config import client_config
from core.errors import DEFAULT_RETRY_AFTER_SECONDS
from core.health import health_report


class HealthSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    checks = serializers.DictField(child=serializers.DictField())


class HealthView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="health",
        tags=["health"],
        responses={200: HealthSerializer, 503: HealthSerializer},
    )
    def get(self, request: Request) -> Response:
        healthy, checks = health_report()
        return Response(
            {"status": "ok" if healthy else "degraded", "checks": checks},
            status=200 if healthy else 503,
            headers=None if healthy else {"Retry-After": str(DEFAULT_RETRY_AFTER_SECONDS)},
        )


class OfflineRedocView(SpectacularRedocView):
    """Redoc from our own static files only: the page loads no font, script or image from
    another origin (Redoc's footer would otherwise fetch a logo from Redocly's CDN)."""

    template_name = "core/redoc.html"
    content_security_policy = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
        "connect-src 'self'; frame-ancestors 'none'"
    )

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().get(request, *args, **kwargs)  # type: ignore[no-untyped-call]
        response["Content-Security-Policy"] = self.content_security_policy
        return response


class ConfigLimitsSerializer(serializers.Serializer[Any]):
    order_max_quantity = serializers.IntegerField()
    order_reservation_minutes = serializers.IntegerField()
    page_size_max = serializers.IntegerField()
    idempotency_key_ttl_hours = serializers.IntegerField()
    refresh_grace_seconds = serializers.IntegerField()
    card_orders_require_verified_email = serializers.BooleanField()


class ConfigSerializer(serializers.Serializer[Any]):
    stripe_publishable_key = serializers.CharField(help_text="For Stripe.js / the mobile SDKs.")
    stripe_js_url = serializers.CharField(
        help_text="Where a web client loads Stripe.js (js.stripe.com; localstripe's locally)."
    )
    chain_id = serializers.IntegerField(help_text="EIP-155 chain id wallets must be on.")
    contract_address = serializers.CharField(
        allow_null=True, help_text="The TrackPacks contract; null until it is deployed."
    )
    explorer_url = serializers.CharField(
        allow_null=True,
        help_text="Block explorer base URL (`{explorer_url}/tx/{hash}`); null locally.",
    )
    limits = ConfigLimitsSerializer()


class ConfigView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="config_retrieve", tags=["config"], responses={200: ConfigSerializer}
    )
    def get(self, request: Request) -> Response:
        return Response(ConfigSerializer(client_config()).data)
