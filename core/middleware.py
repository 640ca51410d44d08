import hashlib
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.http import http_date

from core.errors import error_body
from core.logging import request_id_var

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Takes a well-formed `X-Request-ID` from the caller or makes one, and returns it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _route_name(request: HttpRequest) -> str | None:
    match = getattr(request, "resolver_match", None)
    return match.url_name if match is not None else None


class RequestBodyLimitMiddleware:
    """Refuses a declared body over REQUEST_MAX_BODY_BYTES with 413 and the error body, before
    anything reads it. Multipart uploads keep Django's own per-field limits."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads no body without a valid length
        multipart = request.content_type == "multipart/form-data"
        if declared > limit and not multipart:
            body = error_body(
                "request_too_large",
                f"The request body is larger than {limit} bytes.",
                {"max_bytes": limit},
            )
            return JsonResponse(body, status=413)
        return self.get_response(request)


class PublicJsonGZipMiddleware(GZipMiddleware):
    """gzip only for large public responses (catalog, schema). A compressed response that also
    reflects input and carries a secret (tokens, client secrets) is open to BREACH, so every
    route not on GZIP_URL_NAMES goes out uncompressed."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if _route_name(request) not in settings.GZIP_URL_NAMES:
            return response
        if isinstance(response, HttpResponse) and len(response.content) < settings.GZIP_MIN_BYTES:
            return response
        return super().process_response(request, response)


_LAST_CHANGE_TTL = 24 * 3600


class PublicCatalogCacheMiddleware:
    """ETag, Last-Modified and Cache-Control on the public catalog, and 304 on a matching
    conditional GET.

    The ETag hashes the body. Last-Modified is when this server first served the current body
    of that URL (remembered in the shared cache): rows are also changed by bulk updates that
    no `updated_at` sees, so the body itself is the only truthful version."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method not in ("GET", "HEAD")
            or response.status_code != 200
            or response.streaming
            or _route_name(request) not in settings.PUBLIC_CACHE_URL_NAMES
        ):
            return response
        if not response.has_header("ETag"):
            set_response_etag(response)
        etag = response["ETag"]
        last_modified = _last_change(request.get_full_path(), etag)
        response["Last-Modified"] = http_date(last_modified)
        max_age = settings.PUBLIC_CACHE_MAX_AGE_SECONDS
        patch_cache_control(response, public=True, max_age=max_age, no_cache=max_age == 0)
        conditional = get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=response
        )
        return conditional if conditional is not None else response


# Each process remembers what the shared cache said for a second: a hot catalog URL costs one
# cache round trip per second per worker, not one per request. Another body always asks.
_RECENT_SECONDS = 1.0
_RECENT_MAX = 2048
_recent: dict[str, tuple[str, int, float]] = {}


def _last_change(path: str, etag: str) -> int:
    key = "public-last-change:" + hashlib.sha256(path.encode()).hexdigest()
    now = time.monotonic()
    remembered = _recent.get(key)
    if remembered is not None and remembered[0] == etag and remembered[2] > now:
        return remembered[1]
    changed_at = _shared_last_change(key, etag)
    if len(_recent) >= _RECENT_MAX:
        _recent.clear()
    _recent[key] = (etag, changed_at, now + _RECENT_SECONDS)
    return changed_at


def _shared_last_change(key: str, etag: str) -> int:
    changed_at = int(time.time())
    seen = cache.get(key)
    if isinstance(seen, tuple) and len(seen) == 2:
        if seen[0] == etag:
            return int(seen[1])
        # HTTP dates have whole seconds: a second change within the same second must still
        # move Last-Modified, or If-Modified-Since would answer 304 for the new body.
        changed_at = max(changed_at, int(seen[1]) + 1)
    cache.set(key, (etag, changed_at), _LAST_CHANGE_TTL)
    return changed_at
