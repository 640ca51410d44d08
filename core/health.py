"""Health checks: each returns `(ok, info)`; the endpoint reports all of them."""

from collections.abc import Callable
from typing import Any

from django.db import connection

Check = Callable[[], tuple[bool, dict[str, Any]]]


def check_database() -> tuple[bool, dict[str, Any]]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return False, {"error": type(exc).__name__}
    return True, {"vendor": connection.vendor}


HEALTH_CHECKS: dict[str, Check] = {"database": check_database}


def health_report() -> tuple[bool, dict[str, Any]]:
    checks = {}
    healthy = True
    for name, check in HEALTH_CHECKS.items():
        ok, info = check()
        healthy = healthy and ok
        checks[name] = {"ok": ok, **info}
    return healthy, checks
