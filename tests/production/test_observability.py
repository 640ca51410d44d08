"""Observability: health turns degraded past its thresholds (outbox backlog age, orders in
review), Prometheus metrics behind a token or a staff login, JSON logs with the request id,
and Sentry on only when a DSN is set."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from chain.models import ChainTransaction
from payments.models import OrderStatus
from tests.factories import make_batch, make_order
from tests.production.env import production_env, run_python

pytestmark = pytest.mark.django_db

HEALTH = "/api/v1/health/"


def _queued_tx(age: timedelta) -> ChainTransaction:
    tx = ChainTransaction.objects.create(
        chain_id=31337,
        sender_role="minter",
        sender_address="0x" + "11" * 20,
        to_address="0x" + "22" * 20,
        function="mintPacks",
        calldata="0x",
        reference=f"test:{age.total_seconds()}",
    )
    ChainTransaction.objects.filter(pk=tx.pk).update(created_at=timezone.now() - age)
    return tx


def test_health_reports_the_outbox_backlog_and_degrades_past_its_age(
    api: Any, settings: Any
) -> None:
    settings.HEALTH_OUTBOX_MAX_AGE_SECONDS = 300
    _queued_tx(timedelta(seconds=60))
    body = api.get(HEALTH).json()
    assert body["checks"]["outbox"]["ok"] is True
    assert body["checks"]["outbox"]["backlog"] == 1
    assert 55 <= body["checks"]["outbox"]["oldest_age_seconds"] <= 120

    _queued_tx(timedelta(seconds=900))
    response = api.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    outbox = response.json()["checks"]["outbox"]
    assert outbox["ok"] is False
    assert outbox["backlog"] == 2
    assert outbox["oldest_age_seconds"] >= 900


def test_mined_and_confirmed_transactions_are_not_backlog(api: Any) -> None:
    tx = _queued_tx(timedelta(hours=5))
    ChainTransaction.objects.filter(pk=tx.pk).update(status=ChainTransaction.Status.CONFIRMED)
    outbox = api.get(HEALTH).json()["checks"]["outbox"]
    assert outbox == {"ok": True, "backlog": 0, "oldest_age_seconds": 0, "limit": 600}


def test_health_degrades_past_the_orders_in_review_threshold(
    api: Any, user: User, settings: Any
) -> None:
    settings.HEALTH_ORDERS_IN_REVIEW_MAX = 1
    batch = make_batch(songs=1)
    make_order(user=user, batch=batch, status=OrderStatus.REVIEW)
    assert api.get(HEALTH).json()["checks"]["orders_in_review"] == {
        "ok": True,
        "count": 1,
        "limit": 1,
    }
    make_order(user=user, batch=batch, status=OrderStatus.REVIEW)
    response = api.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["checks"]["orders_in_review"]["ok"] is False


# --- metrics ----------------------------------------------------------------------------------

METRICS_TOKEN = "metrics-token-0123456789abcdef"


def test_metrics_need_the_token_or_a_staff_login(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = METRICS_TOKEN
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    fan = User.objects.create_user("fan@example.com", "correct-horse-battery-staple")
    client.force_login(fan)
    assert client.get("/metrics").status_code == 401
    staff = User.objects.create_user("ops@example.com", "x" * 20, is_staff=True)
    client.force_login(staff)
    assert client.get("/metrics").status_code == 200


def test_metrics_without_a_configured_token_accept_no_bearer(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_metrics_carry_request_latencies_and_business_gauges(
    client: Client, user: User, settings: Any
) -> None:
    settings.METRICS_TOKEN = METRICS_TOKEN
    batch = make_batch(songs=1)
    make_order(user=user, batch=batch, status=OrderStatus.FULFILLED)
    make_order(user=user, batch=batch, status=OrderStatus.REVIEW)
    _queued_tx(timedelta(seconds=30))
    client.get(f"/api/v1/batches/{batch.pk}/")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'trackpacks_orders{status="fulfilled"} 1.0' in text
    assert 'trackpacks_orders{status="review"} 1.0' in text
    assert 'trackpacks_chain_transactions{status="queued"} 1.0' in text
    assert "trackpacks_openings_awaiting_randomness 0.0" in text
    assert "trackpacks_outbox_oldest_unconfirmed_seconds" in text
    # One series per route pattern, never per id.
    routes = [line for line in text.splitlines() if "http_request_duration_seconds_count" in line]
    assert any("batches" in line and "pk" in line for line in routes), routes
    assert f"/api/v1/batches/{batch.pk}/" not in text


# --- logs and Sentry --------------------------------------------------------------------------

LOG_A_LINE = (
    "import django, logging; django.setup(); "
    "from core.logging import request_id_var; request_id_var.set('req-12345678'); "
    "logging.getLogger('trackpacks.test').warning('hello %s', 'ops')"
)


def test_production_logs_are_json_lines_with_the_request_id(tmp_path: Path) -> None:
    result = run_python(LOG_A_LINE, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello ops"
    assert line["request_id"] == "req-12345678"
    assert line["level"] == "WARNING"
    assert line["logger"] == "trackpacks.test"
    assert "time" in line


SENTRY_ACTIVE = (
    "import django; django.setup(); import sentry_sdk; print(sentry_sdk.get_client().is_active())"
)


def test_sentry_is_off_without_a_dsn(tmp_path: Path) -> None:
    result = run_python(SENTRY_ACTIVE, production_env(tmp_path))
    assert result.stdout.strip() == "False", result.stderr


def test_sentry_is_on_with_a_dsn(tmp_path: Path) -> None:
    env = production_env(tmp_path, SENTRY_DSN="https://publickey@sentry.example.invalid/1")
    result = run_python(SENTRY_ACTIVE, env)
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.chain
def test_health_degrades_when_the_indexer_lags_past_its_bound(
    api: Any, chain: dict[str, Any], settings: Any
) -> None:
    from chain.client import get_web3, read_deployment
    from chain.models import IndexerCursor

    settings.HEALTH_INDEXER_MAX_LAG_BLOCKS = 5
    deployment = read_deployment()
    assert deployment is not None
    head = int(get_web3().eth.block_number)
    cursor = IndexerCursor.objects.update_or_create(
        chain_id=31337,
        address=deployment.trackpacks.address,
        defaults={"last_block": head - 3},
    )[0]
    healthy = api.get(HEALTH).json()["checks"]["chain"]
    assert healthy["ok"] is True
    assert healthy["indexer_lag"] == 3
    IndexerCursor.objects.filter(pk=cursor.pk).update(last_block=head - 50)
    response = api.get(HEALTH)
    assert response.status_code == 503
    chain_check = response.json()["checks"]["chain"]
    assert chain_check["ok"] is False
    assert chain_check["indexer_lag"] == 50
