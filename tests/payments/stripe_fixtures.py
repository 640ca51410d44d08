"""Stripe test helpers: a real localstripe process per session, and self-signed webhooks.

Import the fixtures you use into the test module (`from tests.payments.stripe_fixtures import
localstripe, stripe_local  # noqa: F401`)."""

import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from core.localprocs import free_port, stop, wait_for_http

WEBHOOK_URL = "/api/v1/payments/stripe/webhook/"
WEBHOOK_SECRET = "whsec_test_trackpacks"


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [
            *(sys.executable, "-m", "payments.localstripe_server"),
            *("--port", str(port), "--from-scratch", "--no-disk"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url, proc=proc, timeout=20)
        yield url
    finally:
        stop([proc])


@pytest.fixture
def stripe_local(localstripe: str, settings: Any) -> str:
    """Settings pointed at the session's localstripe."""
    settings.STRIPE_LOCAL = True
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_SECRET_KEY = "sk_test_local"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_local"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return localstripe


def localstripe_get(base: str, path: str) -> Any:
    response = requests.get(
        f"{base}{path}", headers={"Authorization": "Bearer sk_test_local"}, timeout=5
    )
    response.raise_for_status()
    return response.json()


def stripe_event(
    event_type: str, obj: dict[str, Any], event_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2024-06-20",
        "data": {"object": obj},
    }


def signature_header(payload: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client: Any, event: dict[str, Any], **signing: Any) -> Any:
    payload = json.dumps(event)
    return client.post(
        WEBHOOK_URL,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload, **signing),
    )
