"""Plain model builders for tests that do not go through the chain."""

from itertools import count
from typing import Any

from django.utils import timezone

from accounts.models import User
from payments.models import Order, OrderStatus
from trackpacks.models import (
    DEFAULT_RARITY_WEIGHT,
    Batch,
    ChainStatus,
    Custody,
    Pack,
    PoolEntry,
    Rarity,
    Song,
)

_token_ids = count(1000)
_emails = count(1)
RARITIES = [Rarity.COMMON, Rarity.RARE, Rarity.EPIC, Rarity.LEGENDARY]


def make_user(**fields: Any) -> User:
    email = fields.pop("email", f"user{next(_emails)}@example.com")
    fields.setdefault("email_verified_at", timezone.now())
    return User.objects.create_user(email, "correct-horse-battery-staple", **fields)


def make_song(**fields: Any) -> Song:
    token_id = fields.pop("token_id", next(_token_ids))
    defaults = {
        "title": f"Song {token_id}",
        "artist": "Test Artist",
        "rarity": RARITIES[token_id % 4],
        "image_url": f"https://example.com/{token_id}.png",
        "audio_url": f"https://example.com/{token_id}.mp3",
        "chain_status": ChainStatus.REGISTERED,
    }
    return Song.objects.create(token_id=token_id, **{**defaults, **fields})


def make_batch(*, songs: int = 6, supply: int = 100, **fields: Any) -> Batch:
    defaults = {
        "name": "Test Batch",
        "price_cents": 500,
        "price_wei": 10**16,
        "chain_status": ChainStatus.REGISTERED,
    }
    batch = Batch.objects.create(supply=supply, available=supply, **{**defaults, **fields})
    for _ in range(songs):
        song = make_song()
        PoolEntry.objects.create(batch=batch, song=song, weight=DEFAULT_RARITY_WEIGHT[song.rarity])
    return batch


def make_pack(*, owner: User, batch: Batch, **fields: Any) -> Pack:
    defaults = {"custody": Custody.SELF, "holder_address": "0x" + "ab" * 20}
    return Pack.objects.create(owner=owner, batch=batch, **{**defaults, **fields})


def make_order(*, user: User, batch: Batch, **fields: Any) -> Order:
    from datetime import timedelta

    from django.utils import timezone

    quantity = fields.pop("quantity", 1)
    defaults = {
        "method": "crypto",
        "status": OrderStatus.PENDING,
        "amount_cents": batch.price_cents * quantity,
        "currency": batch.currency,
        "amount_wei": batch.price_wei * quantity,
        "expires_at": timezone.now() + timedelta(minutes=30),
        # As the services leave it: these states hold their packs out of Batch.available.
        "reserved": fields.get("status", OrderStatus.PENDING)
        in (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.REVIEW),
    }
    return Order.objects.create(user=user, batch=batch, quantity=quantity, **{**defaults, **fields})
