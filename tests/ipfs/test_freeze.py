"""Freezing a batch: documents on IPFS, the token URIs queued, and no change after."""

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.errors import ApplicationError
from ipfs.models import IpfsObject, PinStatus
from ipfs.store import local_pin_store
from ipfs.unixfs import file_cid
from tests.factories import make_pack, make_song, make_user
from tests.ipfs.conftest import Enqueued, batch_with_media, upload_media
from trackpacks.demo_media import cover_png
from trackpacks.freeze import batch_freeze, song_media_set
from trackpacks.models import PACK_ID_OFFSET, Batch, PoolEntry, Song

pytestmark = pytest.mark.django_db


def _gateway_json(client: Client, uri: str) -> Any:
    response = client.get("/ipfs/" + uri.removeprefix("ipfs://"))
    assert response.status_code == 200, uri
    return json.loads(response.getvalue())


def _gateway_bytes(client: Client, uri: str) -> bytes:
    response = client.get("/ipfs/" + uri.removeprefix("ipfs://"))
    assert response.status_code == 200, uri
    return response.getvalue()


def test_freeze_writes_a_document_per_token_and_queues_their_uris(enqueued: Enqueued) -> None:
    batch = batch_with_media(name="Genesis", songs=5)
    songs = list(batch.songs.order_by("token_id"))

    frozen = batch_freeze(batch_id=batch.pk)

    base_uri = f"ipfs://{frozen.metadata_cid}/"
    token_ids = [song.token_id for song in songs] + [PACK_ID_OFFSET + batch.pk]
    assert enqueued.calls("setTokenURIs") == [
        ([token_ids, base_uri], f"batch:{batch.pk}:token-uris")
    ]
    [(contract_uri_args, _)] = enqueued.calls("setContractURI")
    assert contract_uri_args[0].startswith("ipfs://bafkrei")
    listing = Client().get(f"/ipfs/{frozen.metadata_cid}/").json()
    assert [entry["name"] for entry in listing["entries"]] == [f"{t:064x}.json" for t in token_ids]
    assert frozen.frozen_at is not None


def test_every_uri_in_the_documents_resolves_to_bytes_with_that_cid(enqueued: Enqueued) -> None:
    batch = batch_with_media(name="Genesis", songs=5)
    song = batch.songs.order_by("token_id").first()
    assert song is not None
    frozen = batch_freeze(batch_id=batch.pk)
    client = Client()

    document = _gateway_json(client, f"ipfs://{frozen.metadata_cid}/{song.token_id:064x}.json")
    image = _gateway_bytes(client, document["image"])
    audio = _gateway_bytes(client, document["animation_url"])

    assert image == cover_png(song.token_id)
    assert file_cid(image) == document["image"].removeprefix("ipfs://")
    assert file_cid(audio) == document["animation_url"].removeprefix("ipfs://")
    assert document["name"] == song.title
    assert {"trait_type": "Batch", "value": "Genesis"} in document["attributes"]
    assert {"trait_type": "Artist", "value": song.artist} in document["attributes"]
    assert document["properties"]["token_id"] == str(song.token_id)
    pack = _gateway_json(
        client, f"ipfs://{frozen.metadata_cid}/{PACK_ID_OFFSET + batch.pk:064x}.json"
    )
    assert pack["name"] == "Genesis — trackpack"
    assert file_cid(_gateway_bytes(client, pack["image"])) == pack["image"].removeprefix("ipfs://")
    [(contract_uri, _)] = enqueued.calls("setContractURI")
    collection = _gateway_json(client, contract_uri[0])
    assert collection["name"] == "TrackPacks"


def test_every_pinned_object_is_recorded_once_per_cid_and_linked_to_the_batch(
    enqueued: Enqueued,
) -> None:
    batch = batch_with_media(songs=5)

    batch_freeze(batch_id=batch.pk)

    objects = IpfsObject.objects.filter(batches=batch)
    # 5 covers + 5 tones + the pack image + the directory + the collection document
    assert objects.count() == 13
    assert set(objects.values_list("pin_status", "provider").distinct()) == {
        (PinStatus.PINNED, "local")
    }
    assert objects.filter(kind="directory").get().cid == Batch.objects.get().metadata_cid


def test_the_metadata_endpoint_serves_the_frozen_documents(enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=5)
    song = batch.songs.first()
    assert song is not None
    frozen = batch_freeze(batch_id=batch.pk)
    client = Client()

    for token_id in (song.token_id, PACK_ID_OFFSET + batch.pk):
        served = client.get(f"/metadata/{token_id:064x}.json").json()
        pinned = _gateway_json(client, f"ipfs://{frozen.metadata_cid}/{token_id:064x}.json")
        assert served == pinned


def test_after_the_freeze_a_songs_media_cannot_change(enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=5)
    batch_freeze(batch_id=batch.pk)
    song = Song.objects.filter(pool_entries__batch=batch).first()
    assert song is not None

    with pytest.raises(ApplicationError) as refused:
        song_media_set(song_id=song.pk, image=SimpleUploadedFile("x.png", cover_png(99)))

    assert (refused.value.code, refused.value.status_code) == ("song_frozen", 409)
    song.refresh_from_db()
    assert song.image_cid == file_cid(cover_png(song.token_id))


def test_a_batch_freezes_once(enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=5)
    batch_freeze(batch_id=batch.pk)

    with pytest.raises(ApplicationError) as refused:
        batch_freeze(batch_id=batch.pk)

    assert refused.value.code == "batch_frozen"
    assert len(enqueued.calls("setTokenURIs")) == 1


def test_songs_without_media_block_the_freeze_and_nothing_is_frozen(enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=5)
    bare = make_song(image_url="https://example.com/a.png")
    PoolEntry.objects.create(batch=batch, song=bare, weight=1)

    with pytest.raises(ApplicationError) as refused:
        batch_freeze(batch_id=batch.pk)

    assert refused.value.code == "media_missing"
    assert refused.value.details == {"token_ids": [str(bare.token_id)]}
    assert Batch.objects.get().frozen_at is None
    assert not Song.objects.exclude(frozen_by=None).exists()
    assert enqueued == []


def test_a_batch_whose_sale_started_cannot_be_frozen(enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=5)
    make_pack(owner=make_user(), batch=batch)

    with pytest.raises(ApplicationError) as refused:
        batch_freeze(batch_id=batch.pk)

    assert refused.value.code == "sale_started"
    assert enqueued == []


def test_a_song_in_two_batches_keeps_the_document_of_the_first_freeze(
    enqueued: Enqueued,
) -> None:
    first = batch_with_media(name="First", songs=5)
    second = batch_with_media(name="Second", songs=4)
    shared = first.songs.order_by("token_id").first()
    assert shared is not None
    PoolEntry.objects.create(batch=second, song=shared, weight=5)
    batch_freeze(batch_id=first.pk)
    second_frozen = batch_freeze(batch_id=second.pk)

    name = f"{shared.token_id:064x}.json"
    store = local_pin_store()
    in_first = store.resolve(Batch.objects.get(pk=first.pk).metadata_cid, name)
    in_second = store.resolve(second_frozen.metadata_cid, name)
    assert in_first is not None
    assert in_second is not None
    assert in_first.cid == in_second.cid
    shared.refresh_from_db()
    assert (shared.frozen_by_id, shared.metadata_cid) == (first.pk, in_first.cid)


def test_a_change_between_pinning_and_commit_refuses_the_freeze(
    enqueued: Enqueued, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = batch_with_media(songs=5)
    real_pin = __import__("ipfs.services", fromlist=["x"]).ipfs_objects_pin

    def pin_then_edit(**kwargs: Any) -> Any:
        failed = real_pin(**kwargs)
        Song.objects.filter(pool_entries__batch=batch).update(title="Renamed meanwhile")
        return failed

    monkeypatch.setattr("trackpacks.freeze.ipfs_objects_pin", pin_then_edit)

    with pytest.raises(ApplicationError) as refused:
        batch_freeze(batch_id=batch.pk)

    assert refused.value.code == "freeze_conflict"
    assert Batch.objects.get().frozen_at is None
    assert enqueued == []


def test_media_whose_stored_bytes_changed_is_refused(enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=5)
    song = batch.songs.first()
    assert song is not None
    store = local_pin_store()
    (store.root / "files" / song.image_cid).unlink()  # not in the pin store: read from storage
    with song.image.open("wb") as handle:
        handle.write(cover_png(12345))

    with pytest.raises(ApplicationError) as refused:
        batch_freeze(batch_id=batch.pk)

    assert refused.value.code == "media_changed"


def test_uploads_are_validated_by_their_bytes(settings: Any) -> None:
    song = make_song()
    settings.SONG_IMAGE_MAX_BYTES = 100

    cases = [
        ({"image": SimpleUploadedFile("a.png", b"GIF89a" + b"\0" * 200)}, "media_too_large", 413),
        ({"image": SimpleUploadedFile("a.png", b"not an image")}, "invalid_media", 400),
        ({"audio": SimpleUploadedFile("a.wav", cover_png(1))}, "invalid_media", 400),
        (
            {"image": SimpleUploadedFile("a.svg", b"<svg><script>alert(1)</script></svg>")},
            "invalid_media",
            400,
        ),
        (
            {"image": SimpleUploadedFile("a.svg", b'<svg onload="alert(1)"></svg>')},
            "invalid_media",
            400,
        ),
    ]
    for upload, code, status in cases:
        with pytest.raises(ApplicationError) as refused:
            song_media_set(song_id=song.pk, **upload)
        assert (refused.value.code, refused.value.status_code) == (code, status), upload
    song.refresh_from_db()
    assert (song.image_cid, song.audio_cid) == ("", "")


def test_an_upload_is_stored_under_its_cid_and_pinned_locally() -> None:
    song = upload_media(make_song())

    assert song.image_cid == file_cid(cover_png(song.token_id))
    assert song.image_type == "image/png"
    assert song.audio_type == "audio/wav"
    assert song.image.name.endswith(f"{song.image_cid}.png")
    assert local_pin_store().read_file(song.image_cid) == cover_png(song.token_id)


def test_without_settokenuris_on_the_contract_the_freeze_queues_nothing(
    enqueued: Enqueued, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trackpacks.freeze._contract_has", lambda function: False)
    batch = batch_with_media(songs=5)

    frozen = batch_freeze(batch_id=batch.pk)

    assert frozen.frozen_at is not None
    assert enqueued == []


def test_media_lost_from_both_storage_and_pin_store_is_a_clear_error(enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=5)
    song = batch.songs.order_by("token_id").first()
    assert song is not None
    (local_pin_store().root / "files" / song.audio_cid).unlink()
    song.audio.storage.delete(song.audio.name)

    with pytest.raises(ApplicationError) as refused:
        batch_freeze(batch_id=batch.pk)

    assert (refused.value.code, refused.value.status_code) == ("media_missing", 422)
    assert refused.value.details == {"token_ids": [str(song.token_id)], "field": "audio"}


def test_api_clients_get_http_links_to_uploaded_media(api: Any) -> None:
    song = upload_media(make_song())

    listed = api.get("/api/v1/songs/").json()["results"][0]

    assert listed["image_url"] == f"http://127.0.0.1:8000/ipfs/{song.image_cid}"
    assert listed["audio_url"] == f"http://127.0.0.1:8000/ipfs/{song.audio_cid}"
    path = listed["image_url"].removeprefix("http://127.0.0.1:8000")
    assert Client().get(path).getvalue() == cover_png(song.token_id)
