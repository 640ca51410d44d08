"""Staff endpoints over HTTP, responses checked against the OpenAPI document."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import user_tokens
from ipfs.models import IpfsObject, PinStatus
from ipfs.unixfs import file_cid
from tests.conftest import SchemaCheckedClient
from tests.factories import make_batch, make_user
from tests.ipfs.conftest import Enqueued, batch_with_media
from trackpacks.demo_media import cover_png, tone_wav
from trackpacks.freeze import batch_freeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_api() -> SchemaCheckedClient:
    client = SchemaCheckedClient()
    staff = make_user(is_staff=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {user_tokens(user=staff)['access']}")
    return client


def _upload(api: Any, song_id: int, **files: bytes) -> Any:
    body = {name: SimpleUploadedFile(f"{name}.bin", content) for name, content in files.items()}
    return api.put(f"/api/v1/songs/{song_id}/media/", body, format="multipart")


def test_staff_upload_then_freeze_then_changes_are_refused(
    staff_api: Any, enqueued: Enqueued
) -> None:
    batch = make_batch(songs=5)
    songs = list(batch.songs.all())
    for song in songs:
        response = _upload(
            staff_api, song.pk, image=cover_png(song.token_id), audio=tone_wav(song.token_id)
        )
        assert response.status_code == 200, response.json()
    body = response.json()
    assert body["image_cid"] == file_cid(cover_png(songs[-1].token_id))
    assert (body["image_type"], body["audio_type"], body["frozen"]) == (
        "image/png",
        "audio/wav",
        False,
    )

    frozen = staff_api.post(f"/api/v1/batches/{batch.pk}/freeze/")

    assert frozen.status_code == 200, frozen.json()
    assert frozen.json()["base_uri"] == f"ipfs://{frozen.json()['metadata_cid']}/"
    refused = _upload(staff_api, songs[0].pk, image=cover_png(7))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "song_frozen"
    again = staff_api.post(f"/api/v1/batches/{batch.pk}/freeze/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "batch_frozen"


def test_fans_and_anonymous_callers_cannot_upload_or_freeze(
    auth_api: Any, enqueued: Enqueued
) -> None:
    api = SchemaCheckedClient()  # `api` and `auth_api` are one client
    batch = batch_with_media(songs=5)
    song = batch.songs.first()
    assert song is not None

    assert _upload(api, song.pk, image=cover_png(1)).status_code == 401
    assert _upload(auth_api, song.pk, image=cover_png(1)).status_code == 403
    assert api.post(f"/api/v1/batches/{batch.pk}/freeze/").status_code == 401
    assert auth_api.post(f"/api/v1/batches/{batch.pk}/freeze/").status_code == 403
    assert enqueued == []


def test_bad_uploads_get_clear_errors(staff_api: Any, settings: Any) -> None:
    song = make_batch(songs=1).songs.get()
    settings.SONG_AUDIO_MAX_BYTES = 1000

    not_audio = _upload(staff_api, song.pk, audio=cover_png(1))
    too_large = _upload(staff_api, song.pk, audio=tone_wav(1))
    nothing = staff_api.put(f"/api/v1/songs/{song.pk}/media/", {}, format="multipart")
    json_body = staff_api.put(f"/api/v1/songs/{song.pk}/media/", {"image": "x"}, format="json")
    missing = _upload(staff_api, 999999, image=cover_png(1))

    assert (not_audio.status_code, not_audio.json()["error"]["code"]) == (400, "invalid_media")
    assert not_audio.json()["error"]["details"]["detected"] == "image/png"
    assert (too_large.status_code, too_large.json()["error"]["code"]) == (413, "media_too_large")
    assert (nothing.status_code, nothing.json()["error"]["code"]) == (400, "validation_error")
    assert json_body.status_code == 415
    assert missing.status_code == 404


def test_freezing_a_batch_without_media_is_refused_with_the_songs_named(
    staff_api: Any, enqueued: Enqueued
) -> None:
    batch = make_batch(songs=5)

    response = staff_api.post(f"/api/v1/batches/{batch.pk}/freeze/")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "media_missing"
    assert len(response.json()["error"]["details"]["token_ids"]) == 5
    assert staff_api.post("/api/v1/batches/999999/freeze/").status_code == 404


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
