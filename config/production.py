"""Start-up refusals for a production process (`DEBUG` off).

A deploy that forgets a variable must not start on a development stand-in for it: each rule
below names the variable to set. Settings call `refuse_unsafe_production(...)` last."""

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_LENGTH = 50  # what `check --deploy` asks of SECRET_KEY
MIN_JWT_KEY_LENGTH = 32  # HS256: at least the hash's output size
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
PER_PROCESS_BROKERS = ("filesystem:", "memory:")
COORDINATOR_MOCK = "VRFCoordinatorV2_5Mock"

Settings = Mapping[str, Any]


def _secret_key(s: Settings) -> str | None:
    key = str(s["SECRET_KEY"])
    if not key:
        return "SECRET_KEY must be set to a long random string."
    if key == s["DEV_SECRET_KEY"]:
        return "SECRET_KEY is the committed development key: set a long random SECRET_KEY."
    if len(key) < MIN_SECRET_LENGTH or len(set(key)) < 5:
        return f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} random characters."
    return None


def _jwt_key(s: Settings) -> str | None:
    key = str(s["JWT_SIGNING_KEY"])
    if not key or key == s["DEV_JWT_SIGNING_KEY"]:
        return "JWT_SIGNING_KEY must be set: JWTs are never signed with SECRET_KEY."
    if key == s["SECRET_KEY"]:
        return "JWT_SIGNING_KEY must differ from SECRET_KEY."
    if len(key) < MIN_JWT_KEY_LENGTH:
        return f"JWT_SIGNING_KEY must be at least {MIN_JWT_KEY_LENGTH} characters."
    return None


def _allowed_hosts(s: Settings) -> str | None:
    if not s["ALLOWED_HOSTS"]:
        return "ALLOWED_HOSTS is empty: list the host names this server answers to."
    return None


def _broker(s: Settings) -> str | None:
    url = str(s["CELERY_BROKER_URL"])
    if not url or url.startswith(PER_PROCESS_BROKERS):
        return (
            "CELERY_BROKER_URL (or REDIS_URL) must name a broker server such as Redis; "
            f"{url or 'none'!r} cannot be shared between processes."
        )
    return None


def _cache(s: Settings) -> str | None:
    backend = str(s["CACHES"]["default"]["BACKEND"])
    if not backend.endswith("RedisCache"):
        return "REDIS_URL must be set: throttles and locks need a cache shared by all processes."
    return None


def _stripe(s: Settings) -> str | None:
    if s["STRIPE_LOCAL"]:
        return "STRIPE_SECRET_KEY must be set: without it Stripe runs in local (localstripe) mode."
    if not s["STRIPE_WEBHOOK_SECRET"] or s["STRIPE_WEBHOOK_SECRET"] == s["DEV_STRIPE_WEBHOOK"]:
        return "STRIPE_WEBHOOK_SECRET must be the endpoint's own signing secret (whsec_...)."
    host = urlsplit(str(s["STRIPE_API_BASE"])).hostname or ""
    if str(s["STRIPE_SECRET_KEY"]).startswith("sk_live_") and host in LOCAL_HOSTS:
        return "STRIPE_API_BASE points a live STRIPE_SECRET_KEY at a local server."
    return None


def _chain_coordinator(s: Settings) -> str | None:
    if s["CHAIN_ID"] == s["LOCAL_CHAIN_ID"]:
        return None
    record = Path(s["CHAIN_DEPLOYMENT_RECORD"])
    try:
        data = json.loads(record.read_text())
    except FileNotFoundError:
        return None  # nothing deployed yet: the chain checks report it
    except (OSError, ValueError) as exc:
        return f"CHAIN_DEPLOYMENT_RECORD {record} cannot be read: {exc}"
    contracts = data.get("contracts") if isinstance(data, dict) else None
    mock = (isinstance(contracts, dict) and COORDINATOR_MOCK in contracts) or (
        isinstance(data, dict) and bool(data.get("vrfCoordinatorIsMock"))
    )
    if mock:
        return (
            f"CHAIN_DEPLOYMENT_RECORD {record} uses a mock VRF coordinator on chain "
            f"{s['CHAIN_ID']}: deploy against Chainlink's coordinator."
        )
    return None


RULES: list[Callable[[Settings], str | None]] = [
    _secret_key,
    _jwt_key,
    _allowed_hosts,
    _broker,
    _cache,
    _stripe,
    _chain_coordinator,
]


def production_refusals(s: Settings) -> list[str]:
    return [message for rule in RULES if (message := rule(s))]


def refuse_unsafe_production(s: Settings) -> None:
    refusals = production_refusals(s)
    if refusals:
        lines = "\n  - ".join(refusals)
        raise ImproperlyConfigured(
            f"Refusing to start with DEBUG off:\n  - {lines}\n"
            "(Development: DEBUG=true, as `make run` sets. See README, Deploy.)"
        )
