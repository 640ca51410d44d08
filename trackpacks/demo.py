"""A demo catalog for local runs: 24 songs across the rarity tiers and two batches."""

from django.db import transaction

from trackpacks.models import Rarity, Song
from trackpacks.services import PoolItem, batch_create, song_create

_ARTISTS = ["Nova Lane", "The Static Hearts", "Kito Marr", "Juniper Sky", "Low Orbit", "Sela"]
_WORDS = ["Midnight", "Echo", "Neon", "Velvet", "Signal", "Harbor", "Ember", "Drift"]
_TIERS = [Rarity.COMMON] * 12 + [Rarity.RARE] * 6 + [Rarity.EPIC] * 4 + [Rarity.LEGENDARY] * 2
SONG_COUNT = len(_TIERS)
ETHER = 10**18


def _song_fields(index: int) -> dict[str, object]:
    token_id = index + 1
    title = f"{_WORDS[index % len(_WORDS)]} {['Run', 'Bloom', 'Tide'][index % 3]} {token_id}"
    return {
        "token_id": token_id,
        "title": title,
        "artist": _ARTISTS[index % len(_ARTISTS)],
        "rarity": _TIERS[index],
        "description": f"Demo track #{token_id}.",
        "image_url": f"https://ipfs.io/ipfs/bafydemo/{token_id}.png",
        "audio_url": f"https://ipfs.io/ipfs/bafydemo/{token_id}.mp3",
    }


@transaction.atomic
def demo_catalog_seed() -> bool:
    """Creates the demo catalog once; returns False when songs already exist."""
    if Song.objects.exists():
        return False
    songs = [song_create(**_song_fields(i)) for i in range(SONG_COUNT)]  # type: ignore[arg-type]
    batch_create(
        name="Genesis Drop",
        description="The first trackpacks: every song of the demo catalog.",
        price_cents=499,
        price_wei=ETHER // 100,
        supply=500,
        pool=[PoolItem(song=song) for song in songs],
    )
    batch_create(
        name="Night Shift Sessions",
        description="A smaller drop with the rarer half of the catalog.",
        price_cents=999,
        price_wei=ETHER // 50,
        supply=50,
        pool=[PoolItem(song=song) for song in songs[SONG_COUNT // 2 :]],
    )
    return True
