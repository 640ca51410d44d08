"""The label's side: media uploads and the freeze action in the Django admin."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ipfs.unixfs import file_cid
from tests.factories import make_batch, make_song, make_user
from tests.ipfs.conftest import Enqueued, batch_with_media
from trackpacks.demo_media import cover_png, tone_wav
from trackpacks.models import Batch, Song

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def _song_form(song: Song, **extra: Any) -> dict[str, Any]:
    return {
        "title": song.title,
        "artist": song.artist,
        "description": song.description,
        "image_url": "",
        "audio_url": "",
        "_save": "Save",
        **extra,
    }


def test_the_label_uploads_a_cover_and_audio_in_the_admin(admin_client: Client) -> None:
    song = make_song()

    response = admin_client.post(
        f"/admin/trackpacks/song/{song.pk}/change/",
        _song_form(
            song,
            image_upload=SimpleUploadedFile("cover.png", cover_png(3)),
            audio_upload=SimpleUploadedFile("tone.wav", tone_wav(3)),
        ),
    )

    assert response.status_code == 302
    song.refresh_from_db()
    assert (song.image_cid, song.audio_cid) == (file_cid(cover_png(3)), file_cid(tone_wav(3)))


def test_a_wrong_file_type_is_a_form_error(admin_client: Client) -> None:
    song = make_song()

    response = admin_client.post(
        f"/admin/trackpacks/song/{song.pk}/change/",
        _song_form(song, image_upload=SimpleUploadedFile("cover.png", tone_wav(3))),
    )

    assert response.status_code == 200
    assert "This is not a supported image file." in response.content.decode()
    song.refresh_from_db()
    assert song.image_cid == ""


def test_the_freeze_action_freezes_and_then_the_song_form_refuses_changes(
    admin_client: Client, enqueued: Enqueued
) -> None:
    batch = batch_with_media(songs=5)

    response = admin_client.post(
        "/admin/trackpacks/batch/",
        {"action": "freeze_on_ipfs", "_selected_action": [batch.pk]},
        follow=True,
    )

    frozen = Batch.objects.get(pk=batch.pk)
    assert f"frozen, base URI ipfs://{frozen.metadata_cid}/" in response.content.decode()
    song = frozen.songs.first()
    assert song is not None
    edit = admin_client.post(
        f"/admin/trackpacks/song/{song.pk}/change/",
        _song_form(song, title="Renamed", image_upload=SimpleUploadedFile("c.png", cover_png(9))),
    )
    assert edit.status_code == 200
    assert "frozen on IPFS" in edit.content.decode()
    song.refresh_from_db()
    assert song.title != "Renamed"
    assert song.image_cid == file_cid(cover_png(song.token_id))
    page = admin_client.get(f"/admin/trackpacks/batch/{batch.pk}/change/").content.decode()
    assert "IPFS objects (pin status)" in page
    assert page.count(">pinned<") == 13


def test_the_freeze_action_reports_why_a_batch_was_not_frozen(
    admin_client: Client, enqueued: Enqueued
) -> None:
    batch = make_batch(songs=5)

    response = admin_client.post(
        "/admin/trackpacks/batch/",
        {"action": "freeze_on_ipfs", "_selected_action": [batch.pk]},
        follow=True,
    )

    assert "not frozen. Every song of the batch needs an uploaded image" in (
        response.content.decode()
    )
    assert Batch.objects.get(pk=batch.pk).frozen_at is None


def test_pin_status_per_object_is_listed(admin_client: Client, enqueued: Enqueued) -> None:
    from trackpacks.freeze import batch_freeze

    batch_freeze(batch_id=batch_with_media(songs=5).pk)

    page = admin_client.get("/admin/ipfs/ipfsobject/?pin_status__exact=pinned").content.decode()

    assert "13 IPFS objects" in page
