"""The read-only local gateway: `/ipfs/{cid}` and `/ipfs/{cid}/{path}` from the local pin
store, so every ipfs:// URI a wallet sees resolves without a pinning service."""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from core.errors import error_body
from ipfs.media import sniff_content_type
from ipfs.store import Resolved, local_pin_store

# Content never changes under a CID, so caches may keep it for good.
_IMMUTABLE = "public, max-age=31536000, immutable"
# Uploaded SVGs are served from the API's origin: no script, no plugin, no same-origin access.
_CSP = "default-src 'none'; img-src data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def _not_found(message: str) -> JsonResponse:
    return JsonResponse(error_body("not_found", message), status=404)


def _content_type(file: Path, name: str) -> str:
    with file.open("rb") as handle:
        head = handle.read(1024)
    sniffed = sniff_content_type(head)
    if sniffed == "application/octet-stream" and name.endswith(".json"):
        return "application/json"
    return sniffed


def _directory_listing(resolved: Resolved) -> JsonResponse:
    return JsonResponse(
        {
            "cid": resolved.cid,
            "entries": [
                {"name": entry.name, "cid": entry.cid, "size": entry.size}
                for entry in resolved.entries
            ],
        }
    )


@require_safe
def gateway_view(request: HttpRequest, cid: str, path: str = "") -> HttpResponseBase:
    if not settings.IPFS_GATEWAY_ENABLED:
        return _not_found("The local IPFS gateway is off: content is pinned by Pinata.")
    path = path.strip("/")
    resolved = local_pin_store().resolve(cid, path)
    if resolved is None:
        return _not_found("No pinned content at this CID and path.")
    etag = f'"{resolved.cid}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponseBase = HttpResponse(status=304)
    elif resolved.file is None:
        response = _directory_listing(resolved)
    else:
        content_type = _content_type(resolved.file, path.rsplit("/", 1)[-1])
        response = FileResponse(resolved.file.open("rb"), content_type=content_type)
    response["Cache-Control"] = _IMMUTABLE
    response["ETag"] = etag
    response["X-Ipfs-Path"] = f"/ipfs/{cid}/{path}" if path else f"/ipfs/{cid}"
    response["X-Ipfs-Roots"] = resolved.cid
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _CSP
    response["Access-Control-Allow-Origin"] = "*"
    return response
