"""Periodic work on packs (scheduled by Celery beat, see config/settings.py)."""

from celery import shared_task


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def openings_retry_stuck() -> None:
    """Alert on openings whose VRF request was never fulfilled; re-request custodial ones."""
    from chain.tasks import _run_pass
    from trackpacks.services import openings_retry_stuck as retry

    _run_pass("openings-retry", retry)
