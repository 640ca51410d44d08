"""The Celery app: configured from Django settings (`CELERY_*`), tasks autodiscovered.

Worker: `.venv/bin/celery -A config worker --loglevel=INFO`
Beat:   `.venv/bin/celery -A config beat --loglevel=INFO` (deploy/entrypoint.sh runs both)

Exactly one beat sends the schedule: beats take a Redis lock (SingleBeatScheduler), so a
second beat started by mistake, or a standby, only waits to take over when the first dies."""

import contextlib
import logging
import os
import uuid
from typing import Any

import redis
from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("trackpacks")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

BEAT_LOCK_KEY = "trackpacks:celery-beat-lock"
BEAT_LOCK_SECONDS = 15  # a dead beat's schedule resumes elsewhere within this (+ one standby nap)
STANDBY_NAP_SECONDS = 5.0


class BeatLock:
    """A Redis lock that one beat holds and renews on every tick; it lapses if that beat dies."""

    def __init__(self, client: redis.Redis, *, key: str = BEAT_LOCK_KEY) -> None:
        self.client = client
        self.key = key
        self.token = uuid.uuid4().hex.encode()

    def hold(self, seconds: int = BEAT_LOCK_SECONDS) -> bool:
        """Takes the lock if free, renews it if ours; False while another beat holds it."""
        try:
            if self.client.set(self.key, self.token, nx=True, ex=seconds):
                return True
            renewed = self.client.eval(_RENEW_IF_OURS, 1, self.key, self.token, seconds)
            return bool(renewed)
        except redis.RedisError as exc:
            logger.warning("beat lock unavailable (%s): not sending", exc)
            return False

    def release(self) -> None:
        with contextlib.suppress(redis.RedisError):  # else it lapses by itself
            self.client.eval(_DELETE_IF_OURS, 1, self.key, self.token)


_RENEW_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""
_DELETE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def _redis_url(broker_url: str) -> str | None:
    from django.conf import settings

    for url in (broker_url, settings.REDIS_URL):
        if url and url.startswith(("redis://", "rediss://")):
            return url
    return None


class SingleBeatScheduler(PersistentScheduler):  # type: ignore[misc]
    """Sends due tasks only while holding the beat lock (no Redis: no lock, as in tests)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = _redis_url(str(self.app.conf.broker_url or ""))
        self.lock = BeatLock(redis.Redis.from_url(url)) if url else None
        self._leading = False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self.lock is not None and not self.lock.hold():
            if self._leading:
                logger.warning("beat lock lost: standing by")
            self._leading = False
            return STANDBY_NAP_SECONDS
        if not self._leading:
            logger.info("beat lock held: sending the schedule")
            self._leading = True
        return float(super().tick(*args, **kwargs))

    def close(self) -> None:
        if self.lock is not None and self._leading:
            self.lock.release()
        super().close()
