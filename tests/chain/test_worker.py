from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chain import tasks
from chain.models import ChainTransaction
from core.models import WorkerHeartbeat
from tests.chain.conftest import ChainHelper
from tests.chain_fixtures import anvil_settle

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def test_health_reports_chain_and_worker(api: Any, chainh: ChainHelper) -> None:
    tasks.heartbeat()
    tasks.indexer_pass()
    body = api.get("/api/v1/health/").json()
    assert body["status"] == "ok"
    chain = body["checks"]["chain"]
    assert chain["configured"] is True
    assert chain["chain_id"] == 31337
    assert chain["indexer_lag"] == 0
    assert body["checks"]["worker"]["seen"] is True


def test_health_degrades_quickly_when_rpc_is_down(
    api: Any, chainh: ChainHelper, settings: Any
) -> None:
    from chain.client import reset_clients

    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"
    reset_clients()
    started = timezone.now()
    response = api.get("/api/v1/health/")
    assert (timezone.now() - started).total_seconds() < 3
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["chain"]["ok"] is False


def test_stale_heartbeat_is_unhealthy(api: Any, settings: Any) -> None:
    WorkerHeartbeat.objects.create(name="worker", beat_at=timezone.now() - timedelta(minutes=5))
    body = api.get("/api/v1/health/").json()
    assert body["checks"]["worker"]["ok"] is False


def test_tasks_run_the_passes_and_skip_overlapping_runs(chainh: ChainHelper) -> None:
    from django.core.cache import cache
    from django.db import transaction

    from chain.outbox import chain_tx_enqueue

    with transaction.atomic():
        tx = chain_tx_enqueue(
            sender_role="admin", function="registerSong", args=[901, 0], reference="task:1"
        )
    cache.add("chain-task-lock:outbox", "1", 60)  # another run holds the lock
    tasks.outbox_pass()
    tx.refresh_from_db()
    assert tx.status == ChainTransaction.Status.QUEUED
    cache.delete("chain-task-lock:outbox")
    tasks.outbox_pass()
    anvil_settle(chainh.url)  # automine answers before the block exists
    tasks.outbox_pass()
    tx.refresh_from_db()
    assert tx.status == ChainTransaction.Status.CONFIRMED
    tasks.local_chain_pass()
