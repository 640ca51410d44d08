"""Deterministic catalog and fan data for the HTTP benchmarks, written straight with the ORM
(no chain involved): songs, batches with pools, and one fan with packs, some of them opened."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from trackpacks.models import (
    DEFAULT_RARITY_WEIGHT,
    RARITY_TIER,
    Batch,
    ChainStatus,
    Custody,
    Opening,
    Pack,
    PackStatus,
    PoolEntry,
    Rarity,
    RevealedSong,
    Song,
)

FAN_EMAIL = "bench-fan@example.com"
FAN_PASSWORD = "bench-passphrase-2026"  # noqa: S105  (throw-away benchmark database)


@dataclass(frozen=True)
class Seeded:
    fan: User
    songs: int
    batches: int
    packs: int


def seed(
    *, songs: int = 200, batches: int = 20, pool_size: int = 8, packs: int = 50, opened: int = 10
) -> Seeded:
    rarities = list(RARITY_TIER)
    song_rows = Song.objects.bulk_create(
        Song(
            token_id=i + 1,
            title=f"Benchmark Track {i + 1}",
            artist=f"Artist {i % 17}",
            rarity=rarities[i % 4],
            description="A song seeded for the benchmarks.",
            image_url=f"https://cdn.example.com/songs/{i + 1}.png",
            audio_url=f"https://cdn.example.com/songs/{i + 1}.mp3",
            chain_status=ChainStatus.REGISTERED,
        )
        for i in range(songs)
    )
    batch_rows = []
    for b in range(batches):
        batch = Batch.objects.create(
            name=f"Benchmark Drop {b + 1}",
            description="Eight tracks, one pack, five songs.",
            price_cents=500 + b,
            price_wei=10**16 + b,
            supply=1000,
            available=1000 - b,
            chain_status=ChainStatus.REGISTERED,
        )
        pool = [song_rows[(b * pool_size + k) % songs] for k in range(pool_size)]
        PoolEntry.objects.bulk_create(
            PoolEntry(batch=batch, song=s, weight=DEFAULT_RARITY_WEIGHT[Rarity(s.rarity)])
            for s in pool
        )
        batch_rows.append(batch)
    fan = User.objects.create_user(FAN_EMAIL, FAN_PASSWORD, display_name="Bench Fan")
    pack_rows = Pack.objects.bulk_create(
        Pack(
            owner=fan,
            batch=batch_rows[i % batches],
            custody=Custody.CUSTODIAL,
            holder_address="0x" + "cd" * 20,
            status=PackStatus.OPENED if i < opened else PackStatus.UNOPENED,
        )
        for i in range(packs)
    )
    now = timezone.now()
    for i, pack in enumerate(pack_rows[:opened]):
        opening = Opening.objects.create(
            pack=pack, request_id=i + 1, revealed_at=now - timedelta(i)
        )
        RevealedSong.objects.bulk_create(
            RevealedSong(opening=opening, song=song_rows[(i * 5 + k) % songs], position=k)
            for k in range(5)
        )
    return Seeded(fan=fan, songs=songs, batches=batches, packs=packs)
