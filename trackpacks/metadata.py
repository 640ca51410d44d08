"""EIP-1155 metadata JSON, with the fields marketplaces read (OpenSea's conventions)."""

from typing import Any

from django.http import HttpRequest

from trackpacks.models import Batch, Song


def _song_metadata(song: Song) -> dict[str, Any]:
    return {
        "name": song.title,
        "description": song.description or f"{song.title} by {song.artist}",
        "image": song.image_url,
        "animation_url": song.audio_url,
        "attributes": [
            {"trait_type": "Artist", "value": song.artist},
            {"trait_type": "Rarity", "value": song.rarity.capitalize()},
        ],
        "properties": {"artist": song.artist, "rarity": song.rarity, "token_id": song.token_id},
    }


def _pack_metadata(batch: Batch, request: HttpRequest) -> dict[str, Any]:
    return {
        "name": f"{batch.name} — trackpack",
        "description": batch.description
        or "A sealed trackpack: open it to reveal 5 songs drawn by Chainlink VRF.",
        "image": request.build_absolute_uri("/static/trackpacks/pack.svg"),
        "attributes": [
            {"trait_type": "Batch", "value": batch.name},
            {"trait_type": "Supply", "value": batch.supply, "display_type": "number"},
        ],
        "properties": {"batch_id": batch.pk},
    }


def token_metadata(subject: Song | Batch, request: HttpRequest) -> dict[str, Any]:
    if isinstance(subject, Song):
        return _song_metadata(subject)
    return _pack_metadata(subject, request)
