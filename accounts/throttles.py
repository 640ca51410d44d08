"""Throttles for the public auth endpoints: per client IP and per target email, so neither
one address nor a spread of addresses can hammer one account."""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import normalize_email


class _IPThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _EmailThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email:
            return None
        return self.cache_format % {"scope": self.scope, "ident": normalize_email(email)}


class LoginIPThrottle(_IPThrottle):
    scope = "login_ip"


class LoginEmailThrottle(_EmailThrottle):
    scope = "login_email"


class PasswordResetIPThrottle(_IPThrottle):
    scope = "password_reset_ip"


class PasswordResetEmailThrottle(_EmailThrottle):
    scope = "password_reset_email"


class RegisterIPThrottle(_IPThrottle):
    scope = "register_ip"
