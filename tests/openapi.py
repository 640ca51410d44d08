"""Validates API responses against the OpenAPI document the project itself generates."""

import re
from functools import cache
from typing import Any

import jsonschema
from drf_spectacular.generators import SchemaGenerator


@cache
def openapi_document() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: `nullable` becomes a null type, refs point into `$defs`."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "$ref" in out or "allOf" in out or "oneOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in openapi_document()["paths"]:
        regex = re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template))
        patterns.append((re.compile(f"^{regex}$"), template))
    return patterns


def find_operation(path: str, method: str) -> dict[str, Any] | None:
    for pattern, template in _path_patterns():
        if pattern.match(path):
            operation: dict[str, Any] | None = openapi_document()["paths"][template].get(
                method.lower()
            )
            return operation
    return None


def validate_response(path: str, method: str, status_code: int, body: Any) -> None:
    operation = find_operation(path, method)
    if operation is None:
        return  # not an API operation (admin, docs pages)
    responses = operation["responses"]
    documented = responses.get(str(status_code))
    assert documented is not None, (
        f"{method} {path} returned {status_code}, documented: {sorted(responses)}"
    )
    content = documented.get("content")
    if not content:
        assert body in (None, b"", ""), f"{method} {path} {status_code} documents no body"
        return
    schema = _to_json_schema(content["application/json"]["schema"])
    schema["$defs"] = _to_json_schema(openapi_document()["components"]["schemas"])
    jsonschema.validate(body, schema)
