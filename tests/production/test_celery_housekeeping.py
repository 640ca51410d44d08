"""Celery as production runs it: late acks and time limits on every task, exactly one beat
sending the schedule even when two run (a Redis lock), and the hourly purges."""

import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User, WalletNonce
from accounts.services import user_tokens
from config.celery import BeatLock, SingleBeatScheduler, app
from core.housekeeping import housekeeping_run
from core.models import IdempotencyKey
from core.tasks import housekeeping
from payments.models import StripeEvent


def test_tasks_are_acknowledged_late_with_time_limits() -> None:
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.beat_scheduler == "config.celery:SingleBeatScheduler"
    assert "core.tasks.housekeeping" in {e["task"] for e in conf.beat_schedule.values()}


# --- one beat ---------------------------------------------------------------------------------


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    yield client
    client.close()


@pytest.fixture
def lock_key(redis_client: redis.Redis) -> Iterator[str]:
    key = f"test-beat-lock:{uuid.uuid4().hex}"
    yield key
    redis_client.delete(key)


def test_only_one_beat_holds_the_lock_until_it_lapses(
    redis_client: redis.Redis, lock_key: str
) -> None:
    first, second = BeatLock(redis_client, key=lock_key), BeatLock(redis_client, key=lock_key)
    assert first.hold(seconds=30)
    assert not second.hold(seconds=30)
    assert first.hold(seconds=30)  # renewal by the holder
    redis_client.expire(lock_key, 0)  # the first beat died: its lock lapses
    assert second.hold(seconds=30)
    assert not first.hold(seconds=30)
    first.release()  # not the holder: nothing happens
    assert redis_client.get(lock_key) == second.token
    second.release()
    assert redis_client.get(lock_key) is None


class _RecordingScheduler(SingleBeatScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []

    def apply_async(self, entry: Any, *args: Any, **kwargs: Any) -> None:
        self.sent.append(entry.name)


def _scheduler(tmp_path: Any, name: str, lock: BeatLock) -> _RecordingScheduler:
    scheduler = _RecordingScheduler(app=app, schedule_filename=str(tmp_path / name), lazy=True)
    scheduler.setup_schedule()
    scheduler.lock = lock
    return scheduler


def test_two_beats_send_each_due_task_once(
    tmp_path: Any, redis_client: redis.Redis, lock_key: str
) -> None:
    beats = [_scheduler(tmp_path, f"beat{n}", BeatLock(redis_client, key=lock_key)) for n in (1, 2)]
    try:
        _tick_until_sent(beats)
        leader, standby = beats if beats[0].sent else beats[::-1]
        assert leader.sent
        assert standby.sent == []
        redis_client.delete(lock_key)  # the leader dies (its lock lapses): the standby leads
        _tick_until_sent([standby])
        assert standby.sent
    finally:
        for beat in beats:
            beat.close()


def _tick_until_sent(beats: list[_RecordingScheduler], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not any(beat.sent for beat in beats) and time.monotonic() < deadline:
        for beat in beats:
            beat.tick()
        time.sleep(0.05)
    for _ in range(5):  # a few more rounds: the standby must stay quiet
        for beat in beats:
            beat.tick()


# --- purges -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_housekeeping_purges_only_what_has_outlived_its_use(user: User) -> None:
    now = timezone.now()
    lifetime = timedelta(days=settings.JWT_REFRESH_DAYS)
    with freeze_time(now - lifetime - timedelta(days=1)):
        user_tokens(user=user)  # expired by now
    old = OutstandingToken.objects.get()
    BlacklistedToken.objects.create(token=old)
    user_tokens(user=user)  # live

    ttl = timedelta(seconds=settings.SIWE_NONCE_TTL_SECONDS)
    WalletNonce.objects.create(user=user, nonce="old", message="m", expires_at=now - 2 * ttl)
    WalletNonce.objects.create(
        user=user, nonce="used", message="m", expires_at=now + ttl, used_at=now
    )
    WalletNonce.objects.create(user=user, nonce="fresh", message="m", expires_at=now + ttl)

    StripeEvent.objects.create(event_id="evt_old", type="payment_intent.succeeded")
    StripeEvent.objects.filter(event_id="evt_old").update(received_at=now - timedelta(days=8))
    StripeEvent.objects.create(event_id="evt_in_retry_window", type="payment_intent.succeeded")
    StripeEvent.objects.filter(event_id="evt_in_retry_window").update(
        received_at=now - timedelta(days=2, hours=23)
    )

    key_ttl = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    for name, age in (("old-key", key_ttl + timedelta(minutes=1)), ("new-key", timedelta(0))):
        key = IdempotencyKey.objects.create(
            user=user, scope="orders", key=name, request_fingerprint="f" * 64
        )
        IdempotencyKey.objects.filter(pk=key.pk).update(created_at=now - age)

    purged = housekeeping.apply().get()
    assert purged == {
        "expired_tokens": 1,
        "wallet_nonces": 1,
        "stripe_events": 1,
        "idempotency_keys": 1,
    }
    assert OutstandingToken.objects.count() == 1
    assert not BlacklistedToken.objects.exists()
    assert set(WalletNonce.objects.values_list("nonce", flat=True)) == {"used", "fresh"}
    assert list(StripeEvent.objects.values_list("event_id", flat=True)) == ["evt_in_retry_window"]
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new-key"]
    assert housekeeping_run() == dict.fromkeys(purged, 0)  # nothing left to purge


@pytest.mark.django_db
def test_stripe_event_ids_are_kept_for_the_retry_window_even_if_configured_shorter(
    settings: Any,
) -> None:
    settings.STRIPE_EVENT_RETENTION_DAYS = 1
    StripeEvent.objects.create(event_id="evt_2d", type="x")
    StripeEvent.objects.update(received_at=timezone.now() - timedelta(days=2))
    assert housekeeping_run()["stripe_events"] == 0
