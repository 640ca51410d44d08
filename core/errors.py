"""One error body for the whole API: `{"error": {"code", "message", "details"}}`."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A business rule refused the request. Views let it propagate; the handler renders it."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "business_rule",
        status_code: int = status.HTTP_422_UNPROCESSABLE_ENTITY,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code
        self.details = details or {}


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
    details = {"retry_after": wait} if wait is not None else None
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
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)

    if isinstance(exc, exceptions.APIException):
        headers: dict[str, str] = {}
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            # DRF downgrades these to 403 on views without authenticators (the public token
            # endpoints); a bad credential is a 401 everywhere in this API.
            exc.status_code = status.HTTP_401_UNAUTHORIZED
            headers["WWW-Authenticate"] = getattr(exc, "auth_header", None) or 'Bearer realm="api"'
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
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


def json_500(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body("server_error", "An unexpected error occurred. Quote the request id."),
        status=500,
    )
