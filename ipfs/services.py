"""Pinning, keyed by CID: an object pinned once is never uploaded again. Content always sits in
the local pin store first; Pinata (when PINATA_JWT is set) pins it from there."""

import json
import logging
from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone

from ipfs.media import sniff_content_type
from ipfs.models import IpfsObject, PinProvider, PinStatus
from ipfs.pinata import PinataClient, PinataError, pinata_client
from ipfs.store import LocalPinStore, local_pin_store

logger = logging.getLogger(__name__)

Kind = IpfsObject.Kind


class PinFailed(Exception):
    pass


def ipfs_object_record(*, cid: str, kind: str, label: str, size: int) -> IpfsObject:
    obj, _ = IpfsObject.objects.get_or_create(
        cid=cid, defaults={"kind": kind, "label": label[:200], "size": size}
    )
    return obj


def _content(store: LocalPinStore, cid: str) -> bytes:
    content = store.read_file(cid)
    if content is None:
        raise PinFailed(f"{cid} is not in the local pin store (or does not hash to its CID).")
    return content


def _pin_with_pinata(client: PinataClient, obj: IpfsObject, store: LocalPinStore) -> str:
    if obj.kind == Kind.DIRECTORY:
        entries = store.directory_entries(obj.cid)
        if entries is None:
            raise PinFailed(f"Directory {obj.cid} is not in the local pin store.")
        files = {entry.name: _content(store, entry.cid) for entry in entries}
        return client.pin_directory(name=obj.cid, files=files)
    content = _content(store, obj.cid)
    if obj.kind == Kind.JSON:
        return client.pin_json(name=obj.label, content=json.loads(content))
    return client.pin_file(
        name=obj.label, content=content, content_type=sniff_content_type(content)
    )


def ipfs_object_pin(*, obj: IpfsObject) -> IpfsObject:
    """Pins one object (no-op when already pinned). Raises PinFailed or PinataError after
    recording the failure on the row."""
    if obj.pin_status == PinStatus.PINNED:
        return obj
    client = pinata_client()
    store = local_pin_store()
    try:
        if client is None:
            if not store.verify(obj.cid):
                raise PinFailed(f"{obj.cid} is not in the local pin store.")
            provider = PinProvider.LOCAL
        else:
            answered = _pin_with_pinata(client, obj, store)
            if answered != obj.cid:
                raise PinFailed(f"Pinata computed {answered} for this content, not {obj.cid}.")
            provider = PinProvider.PINATA
    except (PinFailed, PinataError) as exc:
        logger.error("Pinning %s (%s) failed: %s", obj.cid, obj.label, exc)
        IpfsObject.objects.filter(pk=obj.pk).update(
            pin_status=PinStatus.FAILED,
            attempts=F("attempts") + 1,
            last_error=str(exc)[:500],
            updated_at=timezone.now(),
        )
        raise
    IpfsObject.objects.filter(pk=obj.pk).update(
        pin_status=PinStatus.PINNED,
        provider=provider,
        attempts=F("attempts") + 1,
        last_error="",
        pinned_at=timezone.now(),
        updated_at=timezone.now(),
    )
    obj.refresh_from_db()
    return obj


def ipfs_objects_pin(*, objects: Iterable[IpfsObject]) -> list[IpfsObject]:
    """Pins every object it can; returns those that failed."""
    failed = []
    for obj in objects:
        try:
            ipfs_object_pin(obj=obj)
        except (PinFailed, PinataError):
            failed.append(obj)
    return failed
