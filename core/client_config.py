"""What a client needs at start-up (GET /api/v1/config/): public values only."""

from typing import Any

from django.conf import settings

from chain.client import TRACKPACKS, read_deployment
from core.pagination import PageNumberPagination


def _stripe_js_url() -> str:
    """Stripe.js from Stripe; locally, localstripe's copy that confirms with its own servers
    (see payments/localstripe_server.py)."""
    if settings.STRIPE_LOCAL:
        return f"{settings.STRIPE_API_BASE}/js.stripe.com/v3/trackpacks.js"
    return "https://js.stripe.com/v3/"


def client_config() -> dict[str, Any]:
    deployment = read_deployment()
    contract = deployment.contracts.get(TRACKPACKS) if deployment else None
    return {
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": _stripe_js_url(),
        "chain_id": settings.CHAIN_ID,
        "contract_address": contract.address if contract else None,
        "explorer_url": settings.CHAIN_EXPLORER_URL or None,
        "limits": {
            "order_max_quantity": settings.ORDER_MAX_QUANTITY,
            "order_reservation_minutes": settings.ORDER_RESERVATION_MINUTES,
            "page_size_max": PageNumberPagination.max_page_size,
            "idempotency_key_ttl_hours": settings.IDEMPOTENCY_KEY_TTL_HOURS,
            "refresh_grace_seconds": settings.JWT_REFRESH_GRACE_SECONDS,
            "card_orders_require_verified_email": settings.CARD_ORDERS_REQUIRE_VERIFIED_EMAIL,
        },
    }
