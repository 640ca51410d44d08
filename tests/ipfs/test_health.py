"""/api/v1/health/ reports pins by status (the schema-checked client validates the body)."""

from typing import Any

import pytest

from ipfs.models import IpfsObject, PinStatus
from ipfs.unixfs import file_cid
from tests.ipfs.conftest import Enqueued, batch_with_media
from trackpacks.freeze import batch_freeze

pytestmark = pytest.mark.django_db


def test_health_reports_pins_by_status(api: Any, enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=5)
    batch_freeze(batch_id=batch.pk)
    failed = IpfsObject.objects.create(
        cid=file_cid(b"x"), kind="file", label="x", size=1, pin_status=PinStatus.FAILED
    )

    body = api.get("/api/v1/health/").json()

    assert body["checks"]["ipfs"] == {
        "ok": True,
        "provider": "local",
        "gateway": True,
        "pinned": 13,
        "pending": 0,
        "failed": 1,
        "failed_cids": [failed.cid],
    }
