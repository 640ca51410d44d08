from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import IdempotencyKey
from payments import tasks
from payments.models import OrderStatus
from tests.factories import make_batch, make_order, make_user
from trackpacks.models import Batch

pytestmark = pytest.mark.django_db


def test_expiry_task_expires_due_orders() -> None:
    batch = make_batch(supply=5)
    Batch.objects.filter(pk=batch.pk).update(available=4)
    order = make_order(
        user=make_user(), batch=batch, expires_at=timezone.now() - timedelta(seconds=1)
    )
    tasks.orders_expire()
    order.refresh_from_db()
    batch.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert batch.available == 5


def test_purge_task_drops_old_idempotency_keys() -> None:
    user = make_user()
    old = IdempotencyKey.objects.create(
        user=user, scope="s", key="old-key-1", request_fingerprint="x"
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    IdempotencyKey.objects.create(user=user, scope="s", key="new-key-1", request_fingerprint="x")
    tasks.idempotency_keys_purge()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new-key-1"]
