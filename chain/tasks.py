"""Periodic worker passes (scheduled by Celery beat, see config/celery.py).

Each pass is guarded by a cache lock so overlapping runs skip instead of piling up; the passes
are also safe to run concurrently (row locks), the lock only saves work."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from chain.client import ChainNotConfigured, read_deployment
from chain.config import chain_settings
from core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

LOCK_SECONDS = 120


@contextmanager
def _single_run(name: str) -> Iterator[bool]:
    key = f"chain-task-lock:{name}"
    acquired = cache.add(key, "1", LOCK_SECONDS)
    try:
        yield bool(acquired)
    finally:
        if acquired:
            cache.delete(key)


def _run_pass(name: str, func: Callable[[], object]) -> None:
    if read_deployment() is None:
        return  # nothing deployed yet: nothing to do
    with _single_run(name) as acquired:
        if not acquired:
            return
        try:
            func()
        except ChainNotConfigured as exc:
            logger.warning("%s skipped: %s", name, exc)


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def outbox_pass() -> None:
    from chain.outbox import outbox_process_once

    _run_pass("outbox", outbox_process_once)


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def indexer_pass() -> None:
    from chain.indexer import indexer_process_once

    _run_pass("indexer", indexer_process_once)


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def local_chain_pass() -> None:
    if not chain_settings().is_local:
        return
    from chain.fulfiller import local_chain_process_once

    _run_pass("local-chain", local_chain_process_once)


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def heartbeat() -> None:
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})
