"""The client contract (issue 12): the OpenAPI document client generators read, JSON under
/api/ in every mode, one input rule, and the headers clients act on."""

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.test import Client, override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

from accounts.models import User
from tests.factories import make_batch, make_song
from tests.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[2]
UINT256_FIELDS = {"token_id", "pack_token_id", "amount_wei", "value_wei"}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in openapi_document()["paths"].items()
        for method, operation in methods.items()
    ]


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


# ------------------------------------------------------------------ the document


def test_the_committed_schema_is_the_generated_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI's `make schema` does the same diff: client teams can diff docs/openapi.yaml."""
    monkeypatch.delenv("API_PUBLIC_URL", raising=False)
    generated = OpenApiYamlRenderer().render(
        SchemaGenerator().get_schema(request=None, public=True), renderer_context={}
    )
    committed = (ROOT / "docs" / "openapi.yaml").read_bytes()
    assert committed == generated, "docs/openapi.yaml is out of date: run `make openapi`"


def test_every_operation_has_a_summary_a_description_and_described_responses() -> None:
    for path, method, operation in _operations():
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert operation.get("description"), where
        for status, response in operation["responses"].items():
            assert response["description"].strip(), f"{where} {status}"
            assert "X-Request-ID" in response["headers"], f"{where} {status}"


def test_statuses_carry_their_headers() -> None:
    for path, method, operation in _operations():
        for status, response in operation["responses"].items():
            headers = response["headers"]
            if status in {"429", "503"}:
                assert "Retry-After" in headers, f"{method} {path} {status}"
            if status == "401":
                assert "WWW-Authenticate" in headers, f"{method} {path}"


def test_the_operations_that_depend_on_a_provider_document_503() -> None:
    paths = openapi_document()["paths"]
    for path in ("/api/v1/packs/{id}/open/", "/api/v1/collection/withdraw/", "/api/v1/orders/"):
        assert "503" in paths[path]["post"]["responses"], path


def test_415_only_where_there_is_a_body_to_refuse() -> None:
    for path, method, operation in _operations():
        if "415" in operation["responses"]:
            assert "requestBody" in operation, f"{method} {path}"


def test_path_ids_are_integers() -> None:
    for path, method, operation in _operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["type"] == "integer", f"{method} {path}"


def test_every_uint256_is_a_decimal_string_in_requests_and_responses() -> None:
    seen = 0
    for node in _walk(openapi_document()["components"]["schemas"]):
        for name, schema in (node.get("properties") or {}).items():
            if name in UINT256_FIELDS:
                seen += 1
                assert schema["type"] == "string", name
                assert schema["pattern"] == "^(0|[1-9][0-9]{0,77})$", name
    assert seen >= 8


def test_pagination_links_are_required_and_nullable() -> None:
    schemas = openapi_document()["components"]["schemas"]
    pages = [schema for name, schema in schemas.items() if name.startswith("Paginated")]
    assert len(pages) >= 5
    for page in pages:
        assert set(page["required"]) == {"count", "next", "previous", "results"}
        assert page["properties"]["next"]["nullable"] is True


def test_no_two_enums_repeat_each_other() -> None:
    schemas = openapi_document()["components"]["schemas"]
    enums = Counter(tuple(s["enum"]) for s in schemas.values() if "enum" in s)
    assert [values for values, count in enums.items() if count > 1] == []


def test_error_details_are_typed() -> None:
    details = openapi_document()["components"]["schemas"]["ErrorDetails"]
    assert details["type"] == "object"
    assert {"fields", "retry_after"} <= set(details["properties"])
    assert details["properties"]["retry_after"]["type"] == "integer"


def test_servers_licence_and_idempotency_key_length() -> None:
    document = openapi_document()
    assert document["servers"][0]["url"]
    assert document["info"]["license"]["name"]
    create = document["paths"]["/api/v1/orders/"]["post"]
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (8, 255)
    quantity = document["components"]["schemas"]["OrderCreateInputRequest"]["properties"]
    assert quantity["quantity"]["maximum"] == settings.ORDER_MAX_QUANTITY


def test_webhook_documents_its_signature_header_and_is_explicitly_public() -> None:
    webhook = openapi_document()["paths"]["/api/v1/payments/stripe/webhook/"]["post"]
    assert webhook["security"] == []
    names = [p["name"] for p in webhook["parameters"] if p["in"] == "header"]
    assert names == ["Stripe-Signature"]


def test_register_display_name_is_optional_for_generated_clients() -> None:
    register = openapi_document()["components"]["schemas"]["RegisterInputRequest"]
    assert "display_name" not in register.get("required", [])
    assert "default" not in register["properties"]["display_name"]


def test_the_committed_yaml_parses() -> None:
    document = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    assert document["openapi"].startswith("3.0")


# ------------------------------------------------------------------ JSON under /api/

_NOT_FOUND_PATHS = [
    "/api/v1/nothing-here/",
    "/api/v1/orders//",
    "/api/v1/orders/abc/",
    "/api/v2/",
    "/api",
    "/api/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", _NOT_FOUND_PATHS)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_paths_answer_the_json_error_body(debug: bool, path: str, method: str) -> None:
    with override_settings(DEBUG=debug):
        response = getattr(Client(), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_a_missing_trailing_slash_is_a_json_308_to_the_slashed_path(
    debug: bool, method: str
) -> None:
    with override_settings(DEBUG=debug):
        response = getattr(Client(), method)("/api/v1/auth/login?next=1")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/auth/login/?next=1"
    error = response.json()["error"]
    assert error["code"] == "trailing_slash_required"
    assert error["details"]["location"] == "/api/v1/auth/login/?next=1"


@pytest.mark.django_db
def test_a_308_is_followed_with_the_same_method_and_body(api: Any) -> None:
    User.objects.create_user("slash@example.com", "correct-horse-battery-staple")
    response = api.post(
        "/api/v1/auth/login",
        {"email": "slash@example.com", "password": "correct-horse-battery-staple"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain == [("/api/v1/auth/login/", 308)]
    assert set(response.json()) == {"access", "refresh"}


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_a_method_a_view_does_not_have_is_a_json_405(debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = Client().put("/api/v1/songs/", content_type="application/json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# ------------------------------------------------------------------ inputs and headers


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["batch", "quantity"])
def test_order_integers_refuse_strings_like_every_integer(auth_api: Any, field: str) -> None:
    body: dict[str, Any] = {"batch": make_batch().pk, "quantity": 1, "method": "crypto"}
    body[field] = str(body[field])
    response = auth_api.post("/api/v1/orders/", body, HTTP_IDEMPOTENCY_KEY="strict-input-1")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]["fields"]


@pytest.mark.django_db
def test_a_quantity_above_the_limit_is_a_validation_error_as_documented(auth_api: Any) -> None:
    body = {"batch": make_batch().pk, "quantity": settings.ORDER_MAX_QUANTITY + 1}
    response = auth_api.post(
        "/api/v1/orders/", {**body, "method": "card"}, HTTP_IDEMPOTENCY_KEY="strict-input-2"
    )
    assert response.status_code == 400, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("token_id", [7, 7.0, "07", "-7", "7e0", " 7", "", True])
def test_withdraw_takes_the_token_id_only_as_a_decimal_string(auth_api: Any, token_id: Any) -> None:
    response = auth_api.post("/api/v1/collection/withdraw/", {"token_id": token_id, "amount": 1})
    assert response.status_code == 400, response.content
    assert "token_id" in response.json()["error"]["details"]["fields"]


@pytest.mark.django_db
def test_a_string_token_id_passes_validation(auth_api: Any) -> None:
    response = auth_api.post("/api/v1/collection/withdraw/", {"token_id": "7", "amount": 1})
    assert response.status_code == 422  # valid input; refused by the business rule
    assert response.json()["error"]["code"] == "wallet_required"


@pytest.mark.django_db
def test_token_ids_past_2_to_the_53_survive_json_parse(api: Any) -> None:
    big = 1152921504606846983  # 2**60 + 7: a JavaScript number would read ...847000
    song = make_song(token_id=big)
    listed = api.get("/api/v1/songs/").json()["results"]
    assert [s["token_id"] for s in listed] == [str(big)]
    assert api.get(f"/api/v1/songs/{song.pk}/").json()["token_id"] == str(big)
    batch = make_batch()
    pool_ids = {
        e["song"]["token_id"] for e in api.get("/api/v1/batches/").json()["results"][0]["pool"]
    }
    assert all(isinstance(token_id, str) for token_id in pool_ids)
    assert api.get(f"/api/v1/batches/{batch.pk}/").json()["pack_token_id"].isdigit()


@pytest.mark.django_db
def test_a_401_from_a_business_rule_also_names_the_scheme(api: Any) -> None:
    response = api.post("/api/v1/auth/login/", {"email": "x@example.com", "password": "nope"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.django_db
def test_a_401_for_a_bad_token_names_the_scheme(api: Any) -> None:
    response = api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_503_tells_when_to_retry() -> None:
    from rest_framework.response import Response

    from core.errors import ApplicationError, exception_handler

    response: Response = exception_handler(
        ApplicationError("down", code="provider_down", status_code=503), {}
    )
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_throttled_retry_after_is_a_whole_number_of_seconds(api: Any) -> None:
    for _ in range(40):
        response = api.post("/api/v1/auth/login/", {"email": "t@example.com", "password": "x"})
        if response.status_code == 429:
            break
    assert response.status_code == 429
    retry_after = response.json()["error"]["details"]["retry_after"]
    assert isinstance(retry_after, int)
    assert response["Retry-After"] == str(retry_after)


def test_the_readme_links_the_client_guide() -> None:
    assert "docs/CLIENTS.md" in (ROOT / "README.md").read_text()
    guide = (ROOT / "docs" / "CLIENTS.md").read_text()
    assert re.search(r"```ts\n// [a-z-]+\.ts\n", guide)


# ------------------------------------------------------------------ GET /config/


@pytest.mark.django_db
def test_config_is_public_and_tells_a_client_what_it_needs(api: Any, settings: Any) -> None:
    settings.CHAIN_EXPLORER_URL = "https://amoy.polygonscan.com"
    body = api.get("/api/v1/config/").json()
    assert body["stripe_publishable_key"] == settings.STRIPE_PUBLISHABLE_KEY
    assert body["chain_id"] == settings.CHAIN_ID
    assert body["explorer_url"] == "https://amoy.polygonscan.com"
    assert body["limits"]["order_max_quantity"] == settings.ORDER_MAX_QUANTITY
    assert body["limits"]["page_size_max"] == 100
    assert not {"STRIPE_SECRET_KEY", "sk_test_local"} & set(map(str, body.values()))


@pytest.mark.django_db
def test_config_without_a_deployment_has_a_null_contract(
    api: Any, settings: Any, tmp_path: Path
) -> None:
    settings.CHAIN_DEPLOYMENT_RECORD = tmp_path / "missing.json"
    settings.CHAIN_EXPLORER_URL = ""
    body = api.get("/api/v1/config/").json()
    assert body["contract_address"] is None
    assert body["explorer_url"] is None


@pytest.mark.django_db
def test_the_collection_is_paginated_like_every_list(auth_api: Any) -> None:
    body = auth_api.get("/api/v1/collection/?page_size=5").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
