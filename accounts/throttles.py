"""Throttles for the public auth endpoints: per client IP and per target email, so neither
one address nor a spread of addresses can hammer one account."""

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from accounts.models import normalize_email


class _IPThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _EmailThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email:
            return None
        # Hashed: a client-chosen email (up to 254 characters, any of them) is no cache key.
        digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


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


class WalletNonceThrottle(UserRateThrottle):
    """Each nonce is a stored row: cap how fast one account can mint them."""

    scope = "wallet_nonce"


class EmailLinkThrottle(UserRateThrottle):
    """Each request mails someone: a handful per hour is all a person needs."""

    scope = "email_link"
    rate = "5/hour"
