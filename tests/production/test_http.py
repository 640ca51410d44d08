"""HTTP as clients and proxies expect: body limits (413), JSON depth (400), malformed token
claims (401), X-Forwarded-For trusted only through NUM_PROXIES, conditional GETs (304) on the
public catalog, and gzip only where no secret rides along (BREACH)."""

import gzip
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from tests.conftest import PASSWORD
from tests.factories import make_batch, make_song

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
REGISTER = "/api/v1/auth/register/"
ME = "/api/v1/auth/me/"
REFRESH = "/api/v1/auth/refresh/"


def assert_error_body(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = json.loads(response.content)["error"]
    assert set(error) == {"code", "message", "details"}
    if code:
        assert error["code"] == code
    return dict(error)


# --- request bodies --------------------------------------------------------------------------


def test_a_3mb_body_gets_413_with_the_error_body(api: Any) -> None:
    body = json.dumps({"email": "a@example.com", "password": "x" * (3 * 1024 * 1024)})
    response = api.generic("POST", LOGIN, body, content_type="application/json")
    error = assert_error_body(response, 413, "request_too_large")
    assert error["details"]["max_bytes"] == settings.REQUEST_MAX_BODY_BYTES


def test_a_body_just_under_the_limit_is_parsed(api: Any) -> None:
    padding = "x" * (settings.REQUEST_MAX_BODY_BYTES - 200)
    body = json.dumps({"email": "a@example.com", "password": padding})
    response = api.generic("POST", LOGIN, body, content_type="application/json")
    assert response.status_code in (400, 401)  # parsed and refused on its merits


def test_json_nested_50000_deep_gets_400(api: Any) -> None:
    body = "[" * 50_000 + "]" * 50_000
    response = api.generic("POST", LOGIN, body, content_type="application/json")
    assert_error_body(response, 400, "parse_error")


def test_json_one_level_past_the_limit_gets_400_and_at_the_limit_parses(api: Any) -> None:
    def nested(levels: int) -> str:  # an object holding arrays: `levels` deep in all
        inner = levels - 1
        return '{"email": ' + "[" * inner + "]" * inner + "}"

    limit = settings.REQUEST_MAX_JSON_DEPTH
    response = api.generic("POST", LOGIN, nested(limit + 1), content_type="application/json")
    assert_error_body(response, 400, "parse_error")
    response = api.generic("POST", LOGIN, nested(limit), content_type="application/json")
    assert_error_body(response, 400, "validation_error")


def test_brackets_inside_strings_do_not_count_as_depth(api: Any) -> None:
    body = json.dumps({"email": "[" * 10_000, "password": "{" * 10_000})
    response = api.generic("POST", LOGIN, body, content_type="application/json")
    assert_error_body(response, 400, "validation_error")


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"email": }', b"\xff\xfe\x00", b'{"a": NaN}', b"[" * 10 + b"}" * 10],
    ids=["truncated", "bad-value", "bad-utf8", "nan", "mismatched"],
)
def test_malformed_json_gets_400(api: Any, body: bytes) -> None:
    response = api.generic("POST", LOGIN, body, content_type="application/json")
    assert_error_body(response, 400, "parse_error")


# --- token claims ----------------------------------------------------------------------------


def _signed(user: User, claims: dict[str, Any] | None = None, kind: str = "access") -> str:
    now = timezone.now()
    payload: dict[str, Any] = {
        "token_type": kind,
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "iat": int(now.timestamp()),
        "jti": "a" * 32,
        "user_id": str(user.pk),
        **(claims or {}),
    }
    payload = {name: value for name, value in payload.items() if value is not ...}
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


MALFORMED_CLAIMS = [
    pytest.param({"user_id": "abc"}, id="user_id-string"),
    pytest.param({"user_id": {"id": 1}}, id="user_id-object"),
    pytest.param({"user_id": [1]}, id="user_id-list"),
    pytest.param({"user_id": True}, id="user_id-bool"),
    pytest.param({"user_id": 1.5}, id="user_id-float"),
    pytest.param({"user_id": -1}, id="user_id-negative"),
    pytest.param({"user_id": 10**30}, id="user_id-huge"),
    pytest.param({"user_id": "1" * 40}, id="user_id-huge-string"),
    pytest.param({"user_id": "\u0661"}, id="user_id-non-ascii-digit"),  # ARABIC-INDIC ONE
    pytest.param({"user_id": None}, id="user_id-null"),
    pytest.param({"user_id": ...}, id="user_id-missing"),
    pytest.param({"jti": ...}, id="jti-missing"),
    pytest.param({"jti": {"x": 1}}, id="jti-object"),
    pytest.param({"jti": "j" * 300}, id="jti-too-long"),
    pytest.param({"token_type": ["access"]}, id="token_type-list"),
    pytest.param({"exp": "tomorrow"}, id="exp-string"),
    pytest.param({"exp": {"at": 1}}, id="exp-object"),
    pytest.param({"iat": "now"}, id="iat-string"),
]


def test_a_well_formed_signed_token_is_accepted(api: Any, user: User) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_signed(user)}")
    assert api.get(ME).status_code == 200


@pytest.mark.parametrize("claims", MALFORMED_CLAIMS)
def test_an_access_token_with_a_malformed_claim_gets_401(
    api: Any, user: User, claims: dict[str, Any]
) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_signed(user, claims)}")
    assert_error_body(api.get(ME), 401)


@pytest.mark.parametrize("claims", MALFORMED_CLAIMS)
def test_a_refresh_token_with_a_malformed_claim_gets_401(
    api: Any, user: User, claims: dict[str, Any]
) -> None:
    token = _signed(user, claims, kind="refresh")
    assert_error_body(api.post(REFRESH, {"refresh": token}), 401)


@pytest.mark.parametrize("claims", MALFORMED_CLAIMS)
def test_logout_with_a_malformed_refresh_claim_gets_401(
    auth_api: Any, user: User, claims: dict[str, Any]
) -> None:
    token = _signed(user, claims, kind="refresh")
    assert_error_body(auth_api.post("/api/v1/auth/logout/", {"refresh": token}), 401)


# --- X-Forwarded-For -------------------------------------------------------------------------


@pytest.fixture
def two_registrations_per_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "register_ip", "2/hour")


def _register(api: Any, n: int, forwarded_for: str) -> int:
    response = api.post(
        REGISTER,
        {"email": f"fan{n}@example.com", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    return int(response.status_code)


@pytest.mark.usefixtures("two_registrations_per_hour")
def test_without_a_trusted_proxy_spoofed_forwarded_for_does_not_dodge_the_throttle(
    api: Any,
) -> None:
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0  # the default
    statuses = [_register(api, n, f"203.0.113.{n}") for n in range(5)]
    assert statuses == [201, 201, 429, 429, 429]


@pytest.mark.usefixtures("two_registrations_per_hour")
def test_behind_one_trusted_proxy_each_client_address_has_its_own_bucket(api: Any) -> None:
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        # The proxy appends the address it saw; anything before it is the client's claim.
        distinct = [_register(api, n, f"198.51.100.9, 203.0.113.{n}") for n in range(4)]
        same = [_register(api, 10 + n, "198.51.100.9, 203.0.113.50") for n in range(3)]
    assert distinct == [201, 201, 201, 201]
    assert same == [201, 201, 429]


# --- conditional GETs on the public catalog ---------------------------------------------------


@pytest.fixture
def catalog() -> Any:
    return make_batch(songs=3)


def _catalog_paths(batch: Any) -> list[str]:
    song = batch.pool.first() if hasattr(batch, "pool") else None
    song_id = song.pk if song is not None and hasattr(song, "title") else make_song().pk
    token_id = f"{make_song().token_id:064x}"
    return [
        "/api/v1/songs/",
        f"/api/v1/songs/{song_id}/",
        "/api/v1/batches/",
        f"/api/v1/batches/{batch.pk}/",
        f"/metadata/{token_id}.json",
    ]


def test_catalog_responses_carry_validators_and_answer_304(client: Any, catalog: Any) -> None:
    for path in _catalog_paths(catalog):
        first = client.get(path)
        assert first.status_code == 200, path
        assert first["ETag"], path
        assert first["Last-Modified"], path
        assert "public" in first["Cache-Control"], path
        again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, path
        assert again.content == b""
        assert again["ETag"] == first["ETag"]
        since = client.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304, path


def test_a_changed_catalog_gets_a_new_etag_and_a_200(client: Any, catalog: Any) -> None:
    first = client.get("/api/v1/songs/")
    make_song(title="A new single")
    again = client.get("/api/v1/songs/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert b"A new single" in again.content


def test_a_bulk_update_is_not_hidden_by_last_modified(client: Any, catalog: Any) -> None:
    """Rows changed without touching `updated_at` still change the validators."""
    from trackpacks.models import Song

    first = client.get("/api/v1/songs/")
    Song.objects.update(title="Renamed in bulk")
    again = client.get("/api/v1/songs/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 200
    assert b"Renamed in bulk" in again.content


def test_private_responses_get_no_public_caching(auth_api: Any) -> None:
    response = auth_api.get(ME)
    assert "public" not in response.get("Cache-Control", "")
    assert not response.has_header("ETag")


# --- compression -----------------------------------------------------------------------------


def test_large_public_json_is_gzipped(client: Any, catalog: Any) -> None:
    for _ in range(30):
        make_song()
    for path in ("/api/v1/songs/?page_size=50", "/api/schema/"):
        response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200, path
        assert response["Content-Encoding"] == "gzip", path
        assert len(gzip.decompress(response.content)) > len(response.content)


def test_responses_carrying_tokens_are_never_compressed(api: Any, user: User) -> None:
    response = api.post(
        LOGIN, {"email": user.email, "password": PASSWORD}, HTTP_ACCEPT_ENCODING="gzip"
    )
    assert response.status_code == 200
    assert "access" in response.json()
    assert not response.has_header("Content-Encoding")
    registered = api.post(
        REGISTER,
        {"email": "new@example.com", "password": PASSWORD, "display_name": "Neo"},
        HTTP_ACCEPT_ENCODING="gzip",
    )
    assert registered.status_code == 201
    assert not registered.has_header("Content-Encoding")
