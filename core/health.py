"""Health checks: each returns `(ok, info)`; the endpoint reports all of them."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone

Check = Callable[[], tuple[bool, dict[str, Any]]]


def check_database() -> tuple[bool, dict[str, Any]]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return False, {"error": type(exc).__name__}
    return True, {"vendor": connection.vendor}


HEALTH_RPC_TIMEOUT_SECONDS = 2


def check_chain() -> tuple[bool, dict[str, Any]]:
    """RPC reachable, right chain id, latest block and indexer lag. Without a deployment
    record the chain is simply not configured (not a failure)."""
    from chain.client import get_web3, read_deployment
    from chain.selectors import indexer_cursor_get

    try:
        deployment = read_deployment()
    except (ValueError, KeyError) as exc:
        return False, {"configured": False, "error": f"bad deployment record: {exc}"}
    if deployment is None:
        return True, {"configured": False}
    try:
        w3 = get_web3(timeout=HEALTH_RPC_TIMEOUT_SECONDS)
        chain_id = int(w3.eth.chain_id)
        head = int(w3.eth.block_number)
    except Exception as exc:  # any transport error means "unreachable"
        return False, {"configured": True, "error": type(exc).__name__}
    try:
        cursor = indexer_cursor_get(chain_id=chain_id, address=deployment.trackpacks.address)
    except Exception:  # database down: reported by the database check
        cursor = None
    info: dict[str, Any] = {
        "configured": True,
        "chain_id": chain_id,
        "latest_block": head,
        "indexer_lag": head - cursor.last_block if cursor else None,
    }
    if chain_id != settings.CHAIN_ID:
        return False, {**info, "error": f"expected chain {settings.CHAIN_ID}"}
    if cursor is not None and cursor.halted_at is not None:
        # The reason (hashes, exception text) stays in the logs and the admin: this is public.
        return False, {**info, "indexer_halted": True, "error": "indexer halted"}
    lag = info["indexer_lag"]
    if lag is not None and lag > settings.HEALTH_INDEXER_MAX_LAG_BLOCKS:
        return False, {**info, "error": f"indexer {lag} blocks behind the head"}
    return True, info


def check_worker() -> tuple[bool, dict[str, Any]]:
    """The background worker's heartbeat is recent."""
    from core.models import WorkerHeartbeat

    try:
        beat = WorkerHeartbeat.objects.filter(name="worker").first()
    except Exception as exc:  # database down: reported by the database check too
        return False, {"error": type(exc).__name__}
    if beat is None:
        return not settings.HEALTH_WORKER_REQUIRED, {"seen": False}
    age = (timezone.now() - beat.beat_at).total_seconds()
    return age <= settings.HEALTH_WORKER_MAX_AGE_SECONDS, {"seen": True, "age_seconds": int(age)}


def check_openings() -> tuple[bool, dict[str, Any]]:
    """Openings whose randomness never came (`stuck`): reported, not a failure of this
    service; the worker alerts and re-requests them."""
    from trackpacks.selectors import openings_stuck_count

    try:
        stuck = openings_stuck_count()
    except Exception as exc:  # the database check reports the cause
        return False, {"error": type(exc).__name__}
    return True, {"stuck": stuck}


def check_ipfs() -> tuple[bool, dict[str, Any]]:
    from ipfs.health import check_ipfs as pins

    return pins()


def check_outbox() -> tuple[bool, dict[str, Any]]:
    """The oldest transaction not yet mined: a growing age means sends are stuck."""
    from chain.models import ChainTransaction

    try:
        backlog = ChainTransaction.objects.filter(
            status__in=[ChainTransaction.Status.QUEUED, ChainTransaction.Status.SENT]
        ).aggregate(count=Count("pk"), oldest=Min("created_at"))
    except Exception as exc:  # database down: reported by the database check too
        return False, {"error": type(exc).__name__}
    oldest = backlog["oldest"]
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    limit = settings.HEALTH_OUTBOX_MAX_AGE_SECONDS
    return age <= limit, {"backlog": backlog["count"], "oldest_age_seconds": age, "limit": limit}


def check_orders_in_review() -> tuple[bool, dict[str, Any]]:
    """Orders paid in a way that does not match them wait for a person."""
    from payments.models import Order, OrderStatus

    try:
        count = Order.objects.filter(status=OrderStatus.REVIEW).count()
    except Exception as exc:  # database down: reported by the database check too
        return False, {"error": type(exc).__name__}
    limit = settings.HEALTH_ORDERS_IN_REVIEW_MAX
    return count <= limit, {"count": count, "limit": limit}


HEALTH_CHECKS: dict[str, Check] = {
    "database": check_database,
    "chain": check_chain,
    "worker": check_worker,
    "ipfs": check_ipfs,
    "openings": check_openings,
    "outbox": check_outbox,
    "orders_in_review": check_orders_in_review,
}


def health_report() -> tuple[bool, dict[str, Any]]:
    checks = {}
    healthy = True
    for name, check in HEALTH_CHECKS.items():
        ok, info = check()
        healthy = healthy and ok
        checks[name] = {"ok": ok, **info}
    return healthy, checks
