"""Concurrency on PostgreSQL: a batch frozen twice at once, and a song's media replaced while
its batch is being frozen."""

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.errors import ApplicationError
from ipfs.models import IpfsObject
from ipfs.store import local_pin_store
from ipfs.unixfs import file_cid
from tests.ipfs.conftest import Enqueued, batch_with_media
from trackpacks.demo_media import cover_png
from trackpacks.freeze import batch_freeze, song_media_set
from trackpacks.models import Batch, Song

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks for real concurrency (SQLite serialises writes)")


def run_together(*work: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work[i]()
        except BaseException as exc:  # checked by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _code(result: Any) -> str:
    return result.code if isinstance(result, ApplicationError) else "ok"


def test_a_batch_frozen_twice_at_once_freezes_once(enqueued: Enqueued) -> None:
    batch = batch_with_media(songs=6)

    results = run_together(*[lambda: batch_freeze(batch_id=batch.pk)] * 3)

    codes = sorted(_code(result) for result in results)
    assert codes.count("ok") == 1, results
    assert set(codes) <= {"ok", "batch_frozen", "freeze_conflict"}, results
    assert len(enqueued.calls("setTokenURIs")) == 1
    assert Song.objects.filter(frozen_by=batch).count() == 6


@pytest.mark.parametrize("round_", range(3))
def test_media_replaced_during_a_freeze_is_either_frozen_or_refused(
    enqueued: Enqueued, round_: int
) -> None:
    batch = batch_with_media(songs=6)
    song = Song.objects.filter(pool_entries__batch=batch).order_by("token_id").last()
    assert song is not None
    new_cover = cover_png(10_000 + round_)

    freeze, upload = run_together(
        lambda: batch_freeze(batch_id=batch.pk),
        lambda: song_media_set(song_id=song.pk, image=SimpleUploadedFile("new.png", new_cover)),
    )

    song.refresh_from_db()
    frozen = Batch.objects.get(pk=batch.pk)
    if frozen.frozen_at is None:
        assert _code(freeze) == "freeze_conflict", freeze
        assert song.image_cid == file_cid(new_cover)
        return
    # Frozen: the document on IPFS names exactly the media the song row holds.
    resolved = local_pin_store().resolve(frozen.metadata_cid, f"{song.token_id:064x}.json")
    assert resolved is not None
    assert resolved.file is not None
    document = json.loads(resolved.file.read_bytes())
    assert document["image"] == f"ipfs://{song.image_cid}"
    # ... and what the chain will point at was pinned before the freeze committed.
    pinned = set(IpfsObject.objects.filter(pin_status="pinned").values_list("cid", flat=True))
    assert {frozen.metadata_cid, song.image_cid} <= pinned
    if _code(upload) != "ok":
        assert _code(upload) == "song_frozen", upload
        assert song.image_cid != file_cid(new_cover)
