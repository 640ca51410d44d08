"""Song media uploads and the IPFS freeze of a batch (services).

Freezing a batch, before its sale opens:
1. checks every song of its pool has uploaded media, and builds the batch's directory: one
   EIP-1155 metadata document `{id}.json` per song and for the pack token;
2. pins the media, the pack image, the directory and the collection document (idempotent by
   CID: a freeze retried after a failed pin uploads only what is missing);
3. in one database transaction, under row locks (the batch, then its songs by token id), checks
   that nothing changed since step 1, marks the songs and the batch frozen and queues
   `setTokenURIs(ids, "ipfs://<directory>/")` (and, once, `setContractURI`) in the outbox.

A song's metadata is fixed by the first frozen batch that holds it; a later batch holding the
same song carries the same document (same CID), and the contract keeps the first URI.
"""

import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from rest_framework import status

from chain.client import TRACKPACKS, ChainNotConfigured, load_artifact
from chain.outbox import chain_tx_enqueue
from core.errors import ApplicationError, Conflict, NotFound
from ipfs.media import MediaKind, gateway_url, media_inspect, media_size_check
from ipfs.models import IpfsObject
from ipfs.pinata import pinata_client
from ipfs.services import ipfs_object_record, ipfs_objects_pin
from ipfs.store import LocalPinStore, local_pin_store
from ipfs.unixfs import Node
from trackpacks.metadata import (
    PACK_IMAGE,
    collection_document,
    document_bytes,
    ipfs_uri,
    pack_document,
    song_document,
    token_file_name,
)
from trackpacks.models import Batch, Song

logger = logging.getLogger(__name__)

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/svg+xml": "svg",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/mp4": "m4a",
}


def song_editable_check(song: Song) -> None:
    if song.frozen_by_id is not None:
        raise Conflict(
            "This song's media and metadata are frozen on IPFS: its batch was frozen for sale.",
            code="song_frozen",
            details={"song_id": song.pk, "frozen_by_batch": song.frozen_by_id},
        )


@transaction.atomic
def song_media_set(
    *, song_id: int, image: UploadedFile | None = None, audio: UploadedFile | None = None
) -> Song:
    """Stores uploaded media (type read from the bytes, size capped) under its CID: in Django's
    storage for the admin and in the local pin store for the gateway."""
    song = Song.objects.select_for_update().filter(pk=song_id).first()
    if song is None:
        raise NotFound("Song not found.")
    song_editable_check(song)
    uploads: list[tuple[MediaKind, UploadedFile | None]] = [("image", image), ("audio", audio)]
    for kind, upload in uploads:
        if upload is None:
            continue
        media_size_check(kind=kind, size=upload.size or 0)
        upload.seek(0)
        content = upload.read()
        info = media_inspect(kind=kind, content=content)
        local_pin_store().put_file(content)
        field: FieldFile = getattr(song, kind)
        field.save(f"{info.cid}.{_EXTENSIONS[info.content_type]}", ContentFile(content), save=False)
        setattr(song, f"{kind}_type", info.content_type)
        setattr(song, f"{kind}_cid", info.cid)
        setattr(song, f"{kind}_url", gateway_url(info.cid))  # for HTTP clients of the API
    song.save()
    return song


@dataclass(frozen=True)
class FreezePlan:
    directory: Node
    token_ids: list[int]
    song_metadata_cids: dict[int, str]  # song pk -> CID of the document this freeze fixes
    media: list[tuple[str, str, int]]  # (cid, label, bytes) of media files and the pack image
    collection: Node


def _media_in_store(store: LocalPinStore, song: Song, kind: MediaKind) -> None:
    """The pin store holds the song's media (copied from Django's storage when it does not:
    another machine, or S3) and the storage still holds what was uploaded."""
    cid = getattr(song, f"{kind}_cid")
    if store.has(cid):
        return
    field: FieldFile = getattr(song, kind)
    try:
        with field.open("rb") as handle:
            content = handle.read()
    except OSError as exc:
        raise ApplicationError(
            f"The {kind} of song {song.token_id} is missing from storage; upload it again.",
            code="media_missing",
            details={"token_ids": [str(song.token_id)], "field": kind},
        ) from exc
    if store.put_file(content).cid_str != cid:
        raise ApplicationError(
            f"The stored {kind} of song {song.token_id} differs from its CID: upload it again.",
            code="media_changed",
            status_code=status.HTTP_409_CONFLICT,
            details={"token_id": str(song.token_id), "field": kind},
        )


def _freeze_plan(batch: Batch, songs: list[Song]) -> FreezePlan:
    missing = [str(song.token_id) for song in songs if not (song.image_cid and song.audio_cid)]
    if missing:
        raise ApplicationError(
            "Every song of the batch needs an uploaded image and audio before it is frozen.",
            code="media_missing",
            details={"token_ids": missing},
        )
    store = local_pin_store()
    media: list[tuple[str, str, int]] = []
    kinds: tuple[MediaKind, ...] = ("image", "audio")
    for song in songs:
        for kind in kinds:
            _media_in_store(store, song, kind)
            cid = getattr(song, f"{kind}_cid")
            media.append((cid, f"song {song.token_id} {kind}", store.file_size(cid)))
    pack_image = store.put_file(PACK_IMAGE.read_bytes())
    media.append((pack_image.cid_str, "pack image", pack_image.content_size))
    files: dict[str, bytes] = {}
    new_documents: dict[int, str] = {}
    for song in songs:
        files[token_file_name(song.token_id)] = _song_document_bytes(store, song, batch)
        if song.frozen_by_id is None:
            new_documents[song.pk] = store.put_file(files[token_file_name(song.token_id)]).cid_str
    pack = pack_document(batch, image=ipfs_uri(pack_image.cid_str), pool_size=len(songs))
    files[token_file_name(batch.pack_token_id)] = document_bytes(pack)
    collection = store.put_file(
        document_bytes(collection_document(image=ipfs_uri(pack_image.cid_str)))
    )
    return FreezePlan(
        directory=store.put_directory(files),
        token_ids=[song.token_id for song in songs] + [batch.pack_token_id],
        song_metadata_cids=new_documents,
        media=media,
        collection=collection,
    )


def _song_document_bytes(store: LocalPinStore, song: Song, batch: Batch) -> bytes:
    if song.frozen_by_id is None:
        return document_bytes(song_document(song, batch=batch))
    frozen = store.read_file(song.metadata_cid)
    if frozen is None:
        raise ApplicationError(
            f"The frozen metadata of song {song.token_id} is missing from the pin store.",
            code="frozen_metadata_missing",
            status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
            details={"token_id": str(song.token_id), "cid": song.metadata_cid},
        )
    return frozen


def _freeze_allowed_check(batch: Batch) -> None:
    if batch.frozen_at is not None:
        raise Conflict(
            "This batch is already frozen.",
            code="batch_frozen",
            details={"metadata_cid": batch.metadata_cid},
        )
    if batch.available != batch.supply or batch.orders.exists() or batch.packs.exists():
        raise Conflict(
            "A batch is frozen before its sale opens; packs of this one were already ordered.",
            code="sale_started",
        )


def _pool_songs(batch: Batch, *, lock: bool = False) -> list[Song]:
    songs = Song.objects.filter(pool_entries__batch=batch).order_by("token_id")
    return list(songs.select_for_update() if lock else songs)


def _record_objects(plan: FreezePlan) -> list[IpfsObject]:
    Kind = IpfsObject.Kind
    objects = [
        ipfs_object_record(cid=cid, kind=Kind.FILE, label=label, size=size)
        for cid, label, size in plan.media
    ]
    objects.append(
        ipfs_object_record(
            cid=plan.directory.cid_str,
            kind=Kind.DIRECTORY,
            label="batch metadata directory",
            size=plan.directory.content_size,
        )
    )
    objects.append(
        ipfs_object_record(
            cid=plan.collection.cid_str,
            kind=Kind.JSON,
            label="collection metadata (contractURI)",
            size=plan.collection.content_size,
        )
    )
    return objects


def _freeze_checked_plan(batch_id: int) -> tuple[Batch, FreezePlan]:
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("Batch not found.")
    _freeze_allowed_check(batch)
    return batch, _freeze_plan(batch, _pool_songs(batch))


def batch_freeze_request(*, batch_id: int) -> Batch | None:
    """The admin's freeze: at once with the local pin store; with Pinata, after the checks
    that need no upload, in the worker (a batch's uploads can outlast a web request). Returns
    the frozen batch, or None when it was queued."""
    if pinata_client() is None:
        return batch_freeze(batch_id=batch_id)
    _freeze_checked_plan(batch_id)
    from ipfs.tasks import batch_freeze_task

    transaction.on_commit(lambda: batch_freeze_task.delay(batch_id))
    return None


def batch_freeze(*, batch_id: int) -> Batch:
    _, plan = _freeze_checked_plan(batch_id)
    objects = _record_objects(plan)
    failed = ipfs_objects_pin(objects=objects)
    if failed:
        raise ApplicationError(
            "Pinning failed, so nothing was frozen. Freeze again: pinned objects are not resent.",
            code="pinning_failed",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            details={
                "failed": [
                    {"cid": obj.cid, "label": obj.label, "error": _last_error(obj)}
                    for obj in failed
                ]
            },
        )
    return _freeze_commit(batch_id=batch_id, expected=plan, objects=objects)


def _last_error(obj: IpfsObject) -> str:
    obj.refresh_from_db(fields=["last_error"])
    return obj.last_error


@transaction.atomic
def _freeze_commit(*, batch_id: int, expected: FreezePlan, objects: list[IpfsObject]) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    _freeze_allowed_check(batch)
    songs = _pool_songs(batch, lock=True)
    plan = _freeze_plan(batch, songs)
    if plan.directory.cid != expected.directory.cid:
        raise Conflict(
            "The batch or its songs changed while it was being frozen; freeze it again.",
            code="freeze_conflict",
        )
    for song in songs:
        if song.pk in plan.song_metadata_cids:
            song.frozen_by = batch
            song.metadata_cid = plan.song_metadata_cids[song.pk]
            song.save(update_fields=["frozen_by", "metadata_cid", "updated_at"])
    batch.frozen_at = timezone.now()
    batch.metadata_cid = plan.directory.cid_str
    batch.save(update_fields=["frozen_at", "metadata_cid", "updated_at"])
    batch.ipfs_objects.add(*objects)
    _uris_enqueue(batch=batch, plan=plan)
    return batch


def _contract_has(function: str) -> bool:
    abi = load_artifact(TRACKPACKS).abi
    return any(item.get("type") == "function" and item.get("name") == function for item in abi)


def _uris_enqueue(*, batch: Batch, plan: FreezePlan) -> None:
    """Queues the batch's token URIs (and the collection's, the first time) on chain."""
    try:
        if not _contract_has("setTokenURIs"):
            # A contract before v2: tokens keep the default `uri` template.
            logger.warning(
                "The deployed contract has no setTokenURIs; batch %s URIs not set.", batch.pk
            )
            return
        chain_tx_enqueue(
            sender_role="admin",
            function="setTokenURIs",
            args=[plan.token_ids, f"ipfs://{plan.directory.cid_str}/"],
            reference=f"batch:{batch.pk}:token-uris",
        )
        chain_tx_enqueue(
            sender_role="admin",
            function="setContractURI",
            args=[ipfs_uri(plan.collection.cid_str)],
            reference="collection:contract-uri",
        )
    except ChainNotConfigured as exc:
        raise ApplicationError(
            "The chain is not configured, so the token URIs cannot be set.",
            code="chain_not_configured",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        ) from exc
