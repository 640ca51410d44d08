"""EIP-1155 metadata JSON, with the fields marketplaces read (OpenSea's conventions).

Once a batch is frozen its tokens' documents are fixed files on IPFS (`{id}.json` in the
batch's directory) and `/metadata/{id}.json` serves those same documents; before that it
serves what the freeze would write now."""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ipfs.pinata import json_bytes
from ipfs.store import local_pin_store
from trackpacks.models import PACK_ID_OFFSET, Batch, Song

PACK_IMAGE = Path(__file__).parent / "static" / "trackpacks" / "pack.svg"
COLLECTION_NAME = "TrackPacks"
COLLECTION_DESCRIPTION = (
    "Music NFT trackpacks: sealed packs that reveal 5 songs each, drawn by Chainlink VRF."
)


def token_file_name(token_id: int) -> str:
    """The file of a token in its batch directory: EIP-1155's `{id}`, 64 hex digits."""
    return f"{token_id:064x}.json"


def ipfs_uri(cid: str) -> str:
    return f"ipfs://{cid}"


def document_bytes(document: dict[str, Any]) -> bytes:
    return json_bytes(document)


def song_document(song: Song, *, batch: Batch | None) -> dict[str, Any]:
    """A song token's metadata; `batch` is the batch whose freeze fixes it."""
    attributes: list[dict[str, Any]] = [
        {"trait_type": "Artist", "value": song.artist},
        {"trait_type": "Rarity", "value": song.rarity.capitalize()},
    ]
    if batch is not None:
        attributes.append({"trait_type": "Batch", "value": batch.name})
    return {
        "name": song.title,
        "description": song.description or f"{song.title} by {song.artist}",
        "image": ipfs_uri(song.image_cid) if song.image_cid else song.image_url,
        "animation_url": ipfs_uri(song.audio_cid) if song.audio_cid else song.audio_url,
        "attributes": attributes,
        "properties": {
            "artist": song.artist,
            "rarity": song.rarity,
            "token_id": str(song.token_id),
            "batch_id": batch.pk if batch is not None else None,
        },
    }


def pack_document(batch: Batch, *, image: str, pool_size: int) -> dict[str, Any]:
    return {
        "name": f"{batch.name} — trackpack",
        "description": batch.description
        or "A sealed trackpack: open it to reveal 5 songs drawn by Chainlink VRF.",
        "image": image,
        "attributes": [
            {"trait_type": "Batch", "value": batch.name},
            {"trait_type": "Supply", "value": batch.supply, "display_type": "number"},
            {"trait_type": "Songs in pool", "value": pool_size, "display_type": "number"},
        ],
        "properties": {"batch_id": batch.pk, "token_id": str(PACK_ID_OFFSET + batch.pk)},
    }


def collection_document(*, image: str) -> dict[str, Any]:
    """The collection-level document behind the contract's `contractURI()`."""
    return {
        "name": COLLECTION_NAME,
        "description": COLLECTION_DESCRIPTION,
        "image": image,
        "external_link": settings.FRONTEND_URL,
    }


def _frozen_document(cid: str) -> dict[str, Any] | None:
    content = local_pin_store().read_file(cid)
    return None if content is None else dict(json.loads(content))


def token_metadata(subject: Song | Batch, request: HttpRequest) -> dict[str, Any]:
    if isinstance(subject, Song):
        if subject.metadata_cid and (frozen := _frozen_document(subject.metadata_cid)):
            return frozen
        batch = subject.frozen_by or subject.batches.order_by("pk").first()
        return song_document(subject, batch=batch)
    if subject.metadata_cid:
        pack_file = f"{subject.metadata_cid}/{token_file_name(subject.pack_token_id)}"
        resolved = local_pin_store().resolve(*pack_file.split("/", 1))
        if resolved is not None and resolved.file is not None:
            frozen = _frozen_document(resolved.cid)
            if frozen:
                return frozen
    image = request.build_absolute_uri("/static/trackpacks/pack.svg")
    return pack_document(subject, image=image, pool_size=subject.pool.count())
