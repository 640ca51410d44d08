"""OpenAPI generation: every operation documents the shared error body for the statuses it can
return, so clients and schema validators know the shape of failures as well as successes."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.DictField(help_text="Structured context, e.g. per-field errors.")


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


_DESCRIPTIONS = {
    "400": "Validation failed or the request is malformed.",
    "401": "Missing, expired or invalid credentials.",
    "403": "Authenticated but not allowed.",
    "404": "Not found (or not yours).",
    "409": "Conflicts with the current state.",
    "413": "The request body is larger than the server accepts.",
    "415": "Unsupported media type: send application/json.",
    "422": "A business rule refused the request.",
    "429": "Throttled; retry after the `Retry-After` header's seconds.",
}


def error_response(status_code: int) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[str(status_code)])


class AutoSchema(openapi.AutoSchema):
    def _requires_auth(self) -> bool:
        return not all(
            isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )

    def _error_codes(self) -> list[str]:
        codes = ["400", "404", "429"]
        if self._requires_auth():
            codes += ["401", "403"]
        if self.method in {"POST", "PUT", "PATCH"}:
            codes += ["413", "415"]
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction=direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    error_response(int(code)), code, direction=direction
                )
        return responses
