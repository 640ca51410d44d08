"""One error body for the whole API: `{"error": {"code", "message", "details"}}`."""

import json
import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


DEFAULT_RETRY_AFTER_SECONDS = 5
BEARER_CHALLENGE = 'Bearer realm="api"'


class ApplicationError(Exception):
    """A business rule refused the request. Views let it propagate; the handler renders it.

    A 503 tells the client when to retry (`Retry-After`, `retry_after` seconds)."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "business_rule",
        status_code: int = status.HTTP_422_UNPROCESSABLE_ENTITY,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code
        self.details = details or {}
        if retry_after is None and status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
            retry_after = DEFAULT_RETRY_AFTER_SECONDS
        self.retry_after = retry_after


def _challenge_headers(status_code: int, retry_after: float | None = None) -> dict[str, str]:
    """Headers every response of this status carries, whatever raised it."""
    headers: dict[str, str] = {}
    if status_code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = BEARER_CHALLENGE
    if retry_after is not None:
        headers["Retry-After"] = str(math.ceil(retry_after))
    return headers


class Conflict(ApplicationError):
    def __init__(self, message: str, *, code: str = "conflict", **kwargs: Any) -> None:
        super().__init__(message, code=code, status_code=status.HTTP_409_CONFLICT, **kwargs)


class NotFound(ApplicationError):
    def __init__(self, message: str = "Not found.", *, code: str = "not_found") -> None:
        super().__init__(message, code=code, status_code=status.HTTP_404_NOT_FOUND)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


_VALIDATION_MESSAGE = "The request is not valid."


def _api_exception_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        detail: Any = (
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        )
        return error_body("validation_error", _VALIDATION_MESSAGE, {"fields": detail})
    detail = exc.detail
    if isinstance(detail, dict):
        # simplejwt's InvalidToken carries {"detail", "code", "messages"}.
        code = str(detail.get("code") or exc.default_code)
        message = str(detail.get("detail") or exc.default_detail)
        return error_body(code, message)
    code = getattr(detail, "code", None) or exc.default_code
    wait = getattr(exc, "wait", None)
    details = {"retry_after": math.ceil(wait)} if wait is not None else None
    return error_body(str(code), str(detail), details)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception, expected or not, becomes the shared body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApplicationError):
        if exc.status_code >= 500:
            request = context.get("request")
            path = getattr(request, "path", "?")
            logger.error("%s on %s: %s", exc.code, path, exc)  # the operator's detail
        set_rollback()
        return Response(
            error_body(exc.code, exc.message, exc.details),
            status=exc.status_code,
            headers=_challenge_headers(exc.status_code, exc.retry_after),
        )

    if isinstance(exc, exceptions.APIException):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            # DRF downgrades these to 403 on views without authenticators (the public token
            # endpoints); a bad credential is a 401 everywhere in this API.
            exc.status_code = status.HTTP_401_UNAUTHORIZED
        headers = _challenge_headers(exc.status_code, getattr(exc, "wait", None))
        set_rollback()
        return Response(_api_exception_body(exc), status=exc.status_code, headers=headers)

    request = context.get("request")
    logger.exception(
        "Unhandled error in %s %s",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
    )
    set_rollback()
    return Response(
        error_body("server_error", "An unexpected error occurred. Quote the request id."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_404(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse(error_body("not_found", "Not found."), status=404)


@csrf_exempt
def api_fallback(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Every path under /api/ that no view answers, in any mode (DEBUG on or off, any method).

    A missing trailing slash is answered with 308 Permanent Redirect to the slashed path:
    unlike 301/302, a 308 makes every HTTP client repeat the same method and body there, and
    the JSON body names the path for clients that do not follow redirects. Anything else is
    the JSON 404 (Django's own would be an HTML page, or a RuntimeError for a POST)."""
    slashed = request.path + "/"
    if not request.path.endswith("/") and _is_api_view(slashed):
        query = request.META.get("QUERY_STRING", "")
        location = f"{slashed}?{query}" if query else slashed
        body = error_body(
            "trailing_slash_required",
            f"This API's paths end with a slash: call {slashed}",
            {"location": location},
        )
        return HttpResponsePermanentRedirect(  # 308: same method and body
            location,
            preserve_request=True,
            content=json.dumps(body),
            content_type="application/json",
        )
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def _is_api_view(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func is not api_fallback


def json_500(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body("server_error", "An unexpected error occurred. Quote the request id."),
        status=500,
    )
