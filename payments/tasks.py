"""Periodic housekeeping for orders (scheduled by Celery beat, see config/settings.py)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def orders_expire() -> None:
    from payments.services import orders_expire_due

    expired = orders_expire_due()
    if expired:
        logger.info("Expired %s unpaid order(s)", expired)


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def stripe_calls() -> None:
    """Captures, cancels and refunds owed to Stripe, retried until Stripe answers."""
    from payments.services import stripe_calls_process_due

    stripe_calls_process_due()


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def idempotency_keys_purge() -> None:
    from core.idempotency import idempotency_keys_purge as purge

    purge()
