from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

_MESSAGE = "Enter a whole number of at least 1."
_MAX_OFFSET = 2**62  # SQL OFFSET is a signed 64-bit integer on SQLite and PostgreSQL


def _positive_int_param(request: Request, name: str) -> int | None:
    """The query parameter as a positive integer, None when absent; junk is a 400, not ignored."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ValidationError({name: [_MESSAGE]})
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` / `?page_size=` must be positive integers (as the schema says); a page size
    above `max_page_size` is capped, never refused."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def get_page_number(self, request: Request, paginator: Any) -> int:
        number = _positive_int_param(request, self.page_query_param) or 1
        if (number - 1) * self.get_page_size(request) > _MAX_OFFSET:
            # Past any row there can be, and an OFFSET the database cannot take (a 500).
            raise NotFound("Invalid page.")
        return number

    def get_page_size(self, request: Request) -> int:
        requested = _positive_int_param(request, self.page_size_query_param)
        if requested is None:
            return self.page_size
        return min(requested, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """`next`/`previous` are always present, null at either end: clients can rely on them."""
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0, "example": 123},
                "next": {**link, "example": "http://127.0.0.1:8000/api/v1/packs/?page=3"},
                "previous": {**link, "example": "http://127.0.0.1:8000/api/v1/packs/?page=1"},
                "results": schema,
            },
        }
