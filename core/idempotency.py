"""Idempotency keys for POSTs that create things (orders): the same key and body replay the
first response; the same key with another body is refused; keys are kept for
IDEMPOTENCY_KEY_TTL_HOURS.

The key row is inserted first, in the same database transaction as the business change and
its response, so either all exist or none does; a concurrent duplicate blocks on the unique
index until the first commits, then replays without running the action."""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from core.errors import ApplicationError
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"  # on an answer replayed from an earlier request
_KEY_FORMAT = re.compile(r"^[\x21-\x7e]{8,255}$")


def _fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key_from(request: Request) -> str:
    key = request.headers.get(HEADER, "")
    if not _KEY_FORMAT.match(key):
        raise ValidationError(
            {HEADER: ["Send a unique Idempotency-Key header (8-255 printable characters)."]}
        )
    return key


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_fingerprint != fingerprint:
        raise ApplicationError(
            "This Idempotency-Key was already used with a different request.",
            code="idempotency_key_reused",
        )
    return Response(
        stored.response_body,
        status=stored.response_status,
        headers={REPLAYED_HEADER: "true"},
    )


def run_idempotently(
    *, request: Request, user: User, scope: str, body: Any, action: Callable[[], Response]
) -> Response:
    key = idempotency_key_from(request)
    fingerprint = _fingerprint(body)
    existing = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                user=user, scope=scope, key=key, request_fingerprint=fingerprint
            )
            response = action()
            record.response_status = response.status_code
            record.response_body = response.data
            record.save(update_fields=["response_status", "response_body"])
    except IntegrityError:
        # A concurrent request with the same key committed first; this one did nothing.
        existing = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    return response


def idempotency_keys_purge() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
