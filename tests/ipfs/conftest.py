from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_batch
from trackpacks.demo_media import cover_png, tone_wav
from trackpacks.freeze import song_media_set
from trackpacks.models import Batch, Song


def upload_media(song: Song) -> Song:
    return song_media_set(
        song_id=song.pk,
        image=SimpleUploadedFile("cover.png", cover_png(song.token_id)),
        audio=SimpleUploadedFile("tone.wav", tone_wav(song.token_id)),
    )


def batch_with_media(**fields: Any) -> Batch:
    batch = make_batch(**fields)
    for song in batch.songs.all():
        upload_media(song)
    return batch


class Enqueued(list[tuple[str, list[Any], str]]):
    def calls(self, function: str) -> list[tuple[list[Any], str]]:
        return [(args, ref) for name, args, ref in self if name == function]


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> Enqueued:
    """The outbox as the freeze sees it, without a chain: what it would send (the contract's
    ABI encoding is exercised by the end-to-end test on anvil)."""
    calls = Enqueued()

    def enqueue(*, sender_role: str, function: str, args: list[Any], reference: str) -> None:
        assert sender_role == "admin"
        calls.append((function, args, reference))

    monkeypatch.setattr("trackpacks.freeze.chain_tx_enqueue", enqueue)
    monkeypatch.setattr("trackpacks.freeze._contract_has", lambda function: True)
    return calls
