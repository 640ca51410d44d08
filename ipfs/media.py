"""What a song's uploaded media may be: the type is read from the bytes (never from the file
name or the client's Content-Type), the size is capped, and the CID is the content hash."""

import re
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from rest_framework import status

from core.errors import ApplicationError
from ipfs.unixfs import file_cid

MediaKind = Literal["image", "audio"]

# An SVG is served to browsers: anything that can run script in one is refused outright (the
# gateway also sends a CSP sandbox, for what this list misses).
_SVG_ACTIVE_CONTENT = re.compile(
    rb"<\s*script|javascript:|\son[a-z]+\s*=|<\s*foreignObject|<\s*iframe|<\s*embed|<\s*object",
    re.IGNORECASE,
)


def sniff_content_type(content: bytes) -> str:
    """The media type the bytes show, or application/octet-stream."""
    head = content[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"mp4", b"iso"):
        return "audio/mp4"
    text = content[:1024].lstrip().lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in text:
        return "image/svg+xml"
    if text.startswith((b"{", b"[")):
        return "application/json"
    return "application/octet-stream"


_ALLOWED = {
    "image": {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"},
    "audio": {"audio/wav", "audio/mpeg", "audio/ogg", "audio/flac", "audio/mp4"},
}


@dataclass(frozen=True)
class MediaInfo:
    content_type: str
    cid: str
    size: int


def gateway_url(cid: str) -> str:
    """An HTTP URL for content a browser cannot fetch as ipfs://."""
    return f"{settings.IPFS_GATEWAY_URL.rstrip('/')}/{cid}"


def max_media_bytes(kind: MediaKind) -> int:
    return int(settings.SONG_IMAGE_MAX_BYTES if kind == "image" else settings.SONG_AUDIO_MAX_BYTES)


def media_size_check(*, kind: MediaKind, size: int) -> None:
    limit = max_media_bytes(kind)
    if size > limit:
        raise ApplicationError(
            f"The {kind} is {size} bytes; at most {limit} are accepted.",
            code="media_too_large",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            details={"field": kind, "max_bytes": limit},
        )


def media_inspect(*, kind: MediaKind, content: bytes) -> MediaInfo:
    media_size_check(kind=kind, size=len(content))
    content_type = sniff_content_type(content)
    if content_type not in _ALLOWED[kind]:
        raise ApplicationError(
            f"This is not a supported {kind} file.",
            code="invalid_media",
            status_code=status.HTTP_400_BAD_REQUEST,
            details={"field": kind, "detected": content_type, "allowed": sorted(_ALLOWED[kind])},
        )
    if content_type == "image/svg+xml" and _SVG_ACTIVE_CONTENT.search(content):
        raise ApplicationError(
            "SVG images may not contain scripts, event handlers or embedded documents.",
            code="invalid_media",
            status_code=status.HTTP_400_BAD_REQUEST,
            details={"field": kind, "detected": content_type},
        )
    return MediaInfo(content_type=content_type, cid=file_cid(content), size=len(content))
