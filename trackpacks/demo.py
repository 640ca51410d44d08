"""A demo catalog for local runs: 24 songs across the rarity tiers and two batches, each song
with a generated cover and tone, both batches frozen on IPFS (pinned locally without Pinata)."""

import logging

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from core.errors import ApplicationError
from trackpacks.demo_media import cover_png, tone_wav
from trackpacks.freeze import batch_freeze, song_media_set
from trackpacks.models import Batch, Rarity, Song
from trackpacks.services import PoolItem, batch_create, song_create

logger = logging.getLogger(__name__)

_ARTISTS = ["Nova Lane", "The Static Hearts", "Kito Marr", "Juniper Sky", "Low Orbit", "Sela"]
_WORDS = ["Midnight", "Echo", "Neon", "Velvet", "Signal", "Harbor", "Ember", "Drift"]
_TIERS = [Rarity.COMMON] * 12 + [Rarity.RARE] * 6 + [Rarity.EPIC] * 4 + [Rarity.LEGENDARY] * 2
SONG_COUNT = len(_TIERS)
ETHER = 10**18
DEMO_BATCH_NAMES = ("Genesis Drop", "Night Shift Sessions")


def _song_fields(index: int) -> dict[str, object]:
    token_id = index + 1
    title = f"{_WORDS[index % len(_WORDS)]} {['Run', 'Bloom', 'Tide'][index % 3]} {token_id}"
    return {
        "token_id": token_id,
        "title": title,
        "artist": _ARTISTS[index % len(_ARTISTS)],
        "rarity": _TIERS[index],
        "description": f"Demo track #{token_id}.",
        "image_url": "",
        "audio_url": "",
    }


def _song_with_media(index: int) -> Song:
    song = song_create(**_song_fields(index))  # type: ignore[arg-type]
    token_id = song.token_id
    return song_media_set(
        song_id=song.pk,
        image=SimpleUploadedFile(f"cover-{token_id}.png", cover_png(token_id)),
        audio=SimpleUploadedFile(f"tone-{token_id}.wav", tone_wav(token_id)),
    )


@transaction.atomic
def demo_catalog_seed() -> bool:
    """Creates the demo catalog once; returns False when songs already exist."""
    if Song.objects.exists():
        return False
    songs = [_song_with_media(i) for i in range(SONG_COUNT)]
    batch_create(
        name=DEMO_BATCH_NAMES[0],
        description="The first trackpacks: every song of the demo catalog.",
        price_cents=499,
        price_wei=ETHER // 100,
        supply=500,
        pool=[PoolItem(song=song) for song in songs],
    )
    batch_create(
        name=DEMO_BATCH_NAMES[1],
        description="A smaller drop with the rarer half of the catalog.",
        price_cents=999,
        price_wei=ETHER // 50,
        supply=50,
        pool=[PoolItem(song=song) for song in songs[SONG_COUNT // 2 :]],
    )
    return True


def demo_catalog_freeze() -> list[Batch]:
    """Freezes the demo batches not frozen yet whose songs all have media and whose sale has
    not started (on a fresh data directory: all of them); returns those it froze."""
    frozen = []
    pending = Batch.objects.filter(frozen_at__isnull=True, name__in=DEMO_BATCH_NAMES)
    for batch in pending.order_by("pk"):
        try:
            frozen.append(batch_freeze(batch_id=batch.pk))
        except ApplicationError as exc:
            logger.info("Demo batch %s not frozen: %s", batch.pk, exc.message)
    return frozen
