"""The API's JSON parser: DRF's, plus a nesting limit.

Python's decoder recurses once per nesting level: a body nested 50,000 deep raised
RecursionError (a 500). Depth is checked before decoding, in one pass over the bytes, so
no deep structure is ever built."""

import io
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit`."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        body = stream.read() if stream is not None else b""
        limit = settings.REQUEST_MAX_JSON_DEPTH
        if json_depth_exceeds(body, limit):
            raise ParseError(f"JSON parse error - nested deeper than {limit} levels.")
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError as exc:  # belt and braces: never a 500
            raise ParseError("JSON parse error - nested too deeply.") from exc
