"""Housekeeping on the beat schedule (config/settings.py)."""

import logging

from celery import shared_task
from django.db import DatabaseError

from core.housekeeping import housekeeping_run

logger = logging.getLogger(__name__)


@shared_task(  # type: ignore[untyped-decorator]
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=3,
)
def housekeeping() -> dict[str, int]:
    purged = housekeeping_run()
    if any(purged.values()):
        logger.info("Housekeeping purged %s", purged)
    return purged
