"""The admin login is throttled like the API's (`accounts.throttles`): per client IP and per
target email, sharing the API login's buckets, so switching between the two gains nothing."""

import hashlib
from typing import Any

from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import normalize_email


class AdminLoginIPThrottle(SimpleRateThrottle):
    scope = "login_ip"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AdminLoginEmailThrottle(SimpleRateThrottle):
    scope = "login_email"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        email = request.POST.get("username")
        if not isinstance(email, str) or not email:
            return None
        digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


def admin_login_wait(request: HttpRequest) -> float | None:
    """Seconds to wait when this login attempt is over a limit, else None (and it counts)."""
    waits = []
    for throttle in (AdminLoginIPThrottle(), AdminLoginEmailThrottle()):
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            waits.append(throttle.wait() or 1)
    return max(waits) if waits else None
