"""Purges of rows that only matter for a while (scheduled hourly by beat: core.tasks).

Each purge deletes in bounded batches so one run never holds a long lock on a busy table."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

PURGE_BATCH = 5000
# Stripe retries an undelivered event for up to 3 days: an event id must outlive that window,
# or a late retry would be applied a second time.
STRIPE_RETRY_WINDOW = timedelta(days=3)


def _delete_in_batches(queryset: QuerySet[Model]) -> int:
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:PURGE_BATCH])
        if not ids:
            return total
        queryset.model._default_manager.filter(pk__in=ids).delete()
        total += len(ids)


def expired_tokens_purge() -> int:
    """Refresh tokens past their expiry (and their blacklist rows): they fail on `exp` alone."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    return _delete_in_batches(OutstandingToken.objects.filter(expires_at__lt=timezone.now()))


def wallet_nonces_purge() -> int:
    """Sign-In with Ethereum nonces past their expiry, used or not: an unknown nonce is refused
    exactly like an expired one."""
    from accounts.models import WalletNonce

    cutoff = timezone.now() - timedelta(seconds=settings.SIWE_NONCE_TTL_SECONDS)
    return _delete_in_batches(WalletNonce.objects.filter(expires_at__lt=cutoff))


def stripe_events_purge() -> int:
    from payments.models import StripeEvent

    keep = max(timedelta(days=settings.STRIPE_EVENT_RETENTION_DAYS), STRIPE_RETRY_WINDOW)
    return _delete_in_batches(StripeEvent.objects.filter(received_at__lt=timezone.now() - keep))


def idempotency_keys_purge() -> int:
    from core.models import IdempotencyKey

    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    return _delete_in_batches(IdempotencyKey.objects.filter(created_at__lt=cutoff))


PURGES = {
    "expired_tokens": expired_tokens_purge,
    "wallet_nonces": wallet_nonces_purge,
    "stripe_events": stripe_events_purge,
    "idempotency_keys": idempotency_keys_purge,
}


def housekeeping_run() -> dict[str, int]:
    return {name: purge() for name, purge in PURGES.items()}
