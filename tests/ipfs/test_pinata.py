"""Pinning through Pinata's HTTP API (a fake on loopback speaking it as documented)."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from core.errors import ApplicationError
from ipfs.models import IpfsObject, PinStatus
from ipfs.pinata import PinataClient, PinataError
from ipfs.unixfs import file_cid
from tests.ipfs.conftest import Enqueued, batch_with_media
from tests.ipfs.fake_pinata import FakePinata
from trackpacks.demo_media import cover_png
from trackpacks.freeze import batch_freeze
from trackpacks.models import Batch

PNG = cover_png(1)


@pytest.fixture
def pinata(settings: Any) -> Iterator[FakePinata]:
    fake = FakePinata().start()
    settings.PINATA_API_JWT = fake.jwt
    settings.PINATA_API_URL = fake.url
    settings.PINATA_BACKOFF_SECONDS = 0.001
    settings.PINATA_MAX_ATTEMPTS = 3
    settings.IPFS_GATEWAY_ENABLED = False
    yield fake
    fake.stop()


def _client(fake: FakePinata, sleeps: list[float], **fields: Any) -> PinataClient:
    return PinataClient(base_url=fake.url, jwt=fake.jwt, sleep=sleeps.append, **fields)


def test_a_file_is_sent_multipart_with_the_bearer_jwt_and_cid_version_1(
    pinata: FakePinata,
) -> None:
    cid = _client(pinata, []).pin_file(name="cover", content=PNG, content_type="image/png")

    assert cid == file_cid(PNG)
    [request] = pinata.requests
    assert request.path == "/pinning/pinFileToIPFS"
    assert request.authorization == f"Bearer {pinata.jwt}"
    assert request.content_type.startswith("multipart/form-data; boundary=")
    assert b'{"cidVersion": 1}' in request.body


def test_json_is_pinned_with_pinjsontoipfs_and_hashes_as_we_compute_it(
    pinata: FakePinata,
) -> None:
    document = {"name": "Écho — 1", "image": "ipfs://x", "attributes": [{"value": 3}]}
    from ipfs.pinata import json_bytes

    cid = _client(pinata, []).pin_json(name="doc", content=document)

    assert cid == file_cid(json_bytes(document))
    assert pinata.requests[0].path == "/pinning/pinJSONToIPFS"


def test_429_is_retried_after_the_retry_after_delay(pinata: FakePinata) -> None:
    pinata.scripted.append((429, {"Retry-After": "2"}, {"error": {"reason": "RATE_LIMITED"}}))
    pinata.scripted.append((503, {}, {"error": {"reason": "UNAVAILABLE"}}))
    sleeps: list[float] = []

    cid = _client(pinata, sleeps, backoff_seconds=0.5).pin_file(
        name="c", content=PNG, content_type="image/png"
    )

    assert cid == file_cid(PNG)
    assert sleeps == [2.0, 1.0]  # Retry-After, then exponential backoff (0.5 x 2)
    assert len(pinata.requests) == 3


def test_retries_stop_after_max_attempts(pinata: FakePinata) -> None:
    for _ in range(5):
        pinata.scripted.append((500, {}, {"error": {"reason": "BOOM"}}))
    sleeps: list[float] = []

    with pytest.raises(PinataError, match="HTTP 500: BOOM"):
        _client(pinata, sleeps, max_attempts=3).pin_file(
            name="c", content=PNG, content_type="image/png"
        )

    assert len(pinata.requests) == 3
    assert len(sleeps) == 2


def test_a_bad_jwt_is_final_not_retried(pinata: FakePinata) -> None:
    client = PinataClient(base_url=pinata.url, jwt="wrong", sleep=lambda s: None)

    with pytest.raises(PinataError, match="INVALID_CREDENTIALS") as refused:
        client.pin_file(name="c", content=PNG, content_type="image/png")

    assert refused.value.status == 401
    assert len(pinata.requests) == 1


def test_an_unreachable_pinata_is_retried_then_reported(pinata: FakePinata) -> None:
    pinata.stop()
    sleeps: list[float] = []

    with pytest.raises(PinataError, match="ConnectionError"):
        _client(pinata, sleeps, max_attempts=2).pin_file(
            name="c", content=PNG, content_type="image/png"
        )

    assert len(sleeps) == 1


@pytest.mark.django_db
def test_freeze_pins_everything_on_pinata_once_per_cid(
    pinata: FakePinata, enqueued: Enqueued
) -> None:
    batch = batch_with_media(songs=5)

    frozen = batch_freeze(batch_id=batch.pk)

    objects = IpfsObject.objects.filter(batches=frozen)
    assert set(objects.values_list("pin_status", "provider").distinct()) == {
        (PinStatus.PINNED, "pinata")
    }
    assert set(pinata.pins) == set(objects.values_list("cid", flat=True))
    paths = [request.path for request in pinata.requests]
    assert paths.count("/pinning/pinJSONToIPFS") == 1  # the collection document
    assert paths.count("/pinning/pinFileToIPFS") == 12  # 10 media, pack image, directory
    directory_upload = pinata.requests[paths.index("/pinning/pinFileToIPFS", 11)]
    assert directory_upload.body.count(b'name="file"; filename="') == 6  # 5 songs + the pack
    # The local gateway is off when Pinata pins.
    assert Client().get(f"/ipfs/{frozen.metadata_cid}/").status_code == 404


@pytest.mark.django_db
def test_a_failed_pin_freezes_nothing_and_a_retry_sends_only_what_is_missing(
    pinata: FakePinata, enqueued: Enqueued
) -> None:
    batch = batch_with_media(songs=5)
    for _ in range(3):  # the first object's three attempts
        pinata.scripted.append((502, {}, {"error": {"reason": "BAD_GATEWAY"}}))

    with pytest.raises(ApplicationError) as refused:
        batch_freeze(batch_id=batch.pk)

    assert (refused.value.code, refused.value.status_code) == ("pinning_failed", 503)
    [failed] = refused.value.details["failed"]
    assert "HTTP 502" in failed["error"]
    assert Batch.objects.get().frozen_at is None
    assert enqueued == []
    assert IpfsObject.objects.get(cid=failed["cid"]).pin_status == PinStatus.FAILED
    sent_before = len(pinata.requests)

    batch_freeze(batch_id=batch.pk)

    assert len(pinata.requests) - sent_before == 1  # only the object that failed
    assert not IpfsObject.objects.exclude(pin_status=PinStatus.PINNED).exists()
    assert Batch.objects.get().frozen_at is not None


@pytest.mark.django_db
def test_a_cid_pinata_computed_differently_is_not_trusted(
    pinata: FakePinata, enqueued: Enqueued
) -> None:
    batch = batch_with_media(songs=5)
    pinata.answer_cid = file_cid(b"something else")

    with pytest.raises(ApplicationError) as refused:
        batch_freeze(batch_id=batch.pk)

    assert refused.value.code == "pinning_failed"
    assert "Pinata computed" in refused.value.details["failed"][0]["error"]
    assert not IpfsObject.objects.filter(pin_status=PinStatus.PINNED).exists()


def test_the_pinata_jwt_is_masked_on_the_debug_page(settings: Any) -> None:
    from django.views.debug import SafeExceptionReporterFilter

    settings.PINATA_API_JWT = "eyJhbGciOiJIUzI1NiJ9.secret"

    safe = SafeExceptionReporterFilter().get_safe_settings()

    assert safe["PINATA_API_JWT"] != settings.PINATA_API_JWT
    assert settings.PINATA_API_JWT not in str(safe)


@pytest.mark.django_db(transaction=True)
def test_with_pinata_the_admin_freeze_is_checked_at_once_and_pinned_in_the_worker(
    pinata: FakePinata, enqueued: Enqueued, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipfs import tasks
    from tests.factories import make_batch
    from trackpacks.freeze import batch_freeze_request

    queued: list[int] = []
    monkeypatch.setattr(tasks.batch_freeze_task, "delay", queued.append)
    batch = batch_with_media(songs=5)

    with pytest.raises(ApplicationError) as refused:
        batch_freeze_request(batch_id=make_batch(songs=5).pk)  # no media: refused at once
    assert refused.value.code == "media_missing"
    assert batch_freeze_request(batch_id=batch.pk) is None
    assert queued == [batch.pk]
    assert pinata.requests == []  # nothing uploaded in the request

    tasks.batch_freeze_task(batch.pk)  # what the worker runs

    assert Batch.objects.get(pk=batch.pk).frozen_at is not None
    assert len(pinata.requests) == 13


@pytest.mark.django_db
def test_a_worker_freeze_that_fails_is_logged_not_raised(
    pinata: FakePinata, enqueued: Enqueued, caplog: pytest.LogCaptureFixture
) -> None:
    from ipfs import tasks

    batch = batch_with_media(songs=5)
    for _ in range(3):
        pinata.scripted.append((500, {}, {"error": {"reason": "DOWN"}}))

    tasks.batch_freeze_task(batch.pk)

    assert Batch.objects.get(pk=batch.pk).frozen_at is None
    assert "pinning_failed" in caplog.text
    assert IpfsObject.objects.filter(pin_status=PinStatus.FAILED).count() == 1
