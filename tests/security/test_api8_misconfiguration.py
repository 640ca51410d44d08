"""OWASP API8:2023 security misconfiguration and data exposure: no secret, private key,
mnemonic, password hash or stack trace in any response body or header, over a crawl of every
operation (found and missing objects, anonymous, empty and malformed bodies, wrong methods,
forced 500s in DRF and plain Django views); CORS only for the configured origins; and the logs
of the representative flows carry no private key or mnemonic."""

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from accounts.services import user_tokens
from core.localprocs import ANVIL_MNEMONIC
from tests.factories import make_batch
from tests.openapi import openapi_document
from tests.security.conftest import World, anvil_account

pytestmark = pytest.mark.django_db

LEAK_MARKERS = [
    "Traceback (most recent call last)",
    'File "/',
    "site-packages",
    "argon2$",
    "pbkdf2_sha256$",
    "BEGIN PRIVATE KEY",
]


def secrets_in_play() -> list[str]:
    """Everything that must never leave the server, in the forms it could leak in."""
    values: list[Any] = [
        settings.SECRET_KEY,
        settings.SIMPLE_JWT["SIGNING_KEY"],
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_WEBHOOK_SECRET,
        ANVIL_MNEMONIC,
    ]
    keys = [anvil_account(i).key.hex() for i in range(10)]
    keys += [
        getattr(settings, name)
        for name in (
            "CHAIN_ADMIN_KEY",
            "CHAIN_MINTER_KEY",
            "CHAIN_OPERATOR_KEY",
            "CHAIN_FULFILLER_KEY",
            "CHAIN_DEPLOYER_KEY",
            "CHAIN_GOVERNANCE_KEY",
        )
        if getattr(settings, name)
    ]
    for key in keys:
        bare = key.lower().removeprefix("0x")
        values += [bare, bare.upper()]
    return [str(value) for value in values if value]


def assert_nothing_leaks(text: str, secrets: list[str], where: str) -> None:
    lowered = text.lower()
    for secret in secrets:
        assert secret.lower() not in lowered, f"a secret ({secret[:6]}...) leaks in {where}"
    for marker in LEAK_MARKERS:
        assert marker.lower() not in lowered, f"{marker!r} leaks in {where}"


def response_text(response: Any) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return headers + "\n\n" + body.decode("utf-8", "replace")


class Crawler:
    def __init__(self, world: World) -> None:
        self.client = Client(raise_request_exception=False)
        self.access = world.access
        self.ids = world.ids
        self.responses: list[tuple[str, Any]] = []

    def call(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.access}"} if auth else {}
        response = getattr(self.client, method)(path, **headers, **kwargs)
        self.responses.append((f"{method.upper()} {path} (auth={auth})", response))
        return response

    def crawl_operations(self) -> None:
        for template, operations in openapi_document()["paths"].items():
            concrete = [template]
            if "{id}" in template:
                resource = template.split("/{id}")[0].split("/")[-1]
                concrete = [
                    template.replace("{id}", str(self.ids.get(resource, 1))),
                    template.replace("{id}", "987654321"),
                ]
            for path in concrete:
                for method in operations:
                    for auth in (True, False):
                        self._variants(method, path, auth)

    def _variants(self, method: str, path: str, auth: bool) -> None:
        if method == "get":
            self.call("get", path, auth=auth)
            self.call("get", path, auth=auth, data={"page": "x", "page_size": "-1"})
            return
        self.call(method, path, auth=auth, data={}, content_type="application/json")
        self.call(method, path, auth=auth, data='{"oops', content_type="application/json")
        self.call(method, path, auth=auth, data="a=b", content_type="text/plain")
        self.call(
            method,
            path,
            auth=auth,
            data={"email": "x", "password": "x", "refresh": "x", "batch": 1, "tx_hash": "0x"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="crawl-key-123",
            HTTP_STRIPE_SIGNATURE="t=1,v1=00",
        )
        self.call("delete", path, auth=auth)

    def crawl_pages(self) -> None:
        song_hex = f"{1:064x}"
        for path in [
            f"/metadata/{song_hex}.json",
            f"/metadata/{(1 << 128) + self.ids['batches']:064x}.json",
            "/metadata/zz.json",
            "/api/schema/",
            "/api/docs/",
            "/api/redoc/",
            "/admin/login/",
            "/nope/",
            "/api/v1/nope/",
        ]:
            self.call("get", path)


@pytest.fixture
def quiet_server_errors() -> Iterator[None]:
    """Forced 500s log their traceback by design; keep that out of the test output."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.mark.chain
def test_no_response_leaks_secrets_or_internals(
    world: World, monkeypatch: pytest.MonkeyPatch, quiet_server_errors: None
) -> None:
    crawler = Crawler(world)
    crawler.crawl_operations()
    crawler.crawl_pages()

    secrets = secrets_in_play()
    boom = f"boom {settings.SECRET_KEY} {ANVIL_MNEMONIC} {secrets[-1]}"

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(boom)

    monkeypatch.setattr("core.views.health_report", explode)
    monkeypatch.setattr("trackpacks.api.views.selectors.token_metadata_subject", explode)
    forced = [
        crawler.call("get", "/api/v1/health/"),
        crawler.call("get", f"/metadata/{1:064x}.json"),
    ]
    assert [r.status_code for r in forced] == [500, 500]
    assert all(r.json()["error"]["code"] == "server_error" for r in forced)

    statuses = {response.status_code for _, response in crawler.responses}
    assert {200, 400, 401, 404, 405, 415, 500} <= statuses, statuses
    assert len(crawler.responses) > 250
    for where, response in crawler.responses:
        assert_nothing_leaks(response_text(response), secrets, where)
        if where.split()[1].startswith("/api/v1/"):
            assert response["X-Content-Type-Options"] == "nosniff", where
            assert response["Content-Type"].startswith("application/json") or (
                response.status_code in (204, 202) and not response.content
            ), where


def test_a_missing_chain_deployment_does_not_reveal_server_paths(
    user: User, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the crawl: the 503 for a missing deployment record named the file path and the
    management command to run. The detail goes to the log; the client gets a generic message."""
    client = Client(raise_request_exception=False)
    batch = make_batch()
    response = client.post(
        "/api/v1/orders/",
        {"batch": batch.pk, "quantity": 1, "method": "crypto"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {user_tokens(user=user)['access']}",
        HTTP_IDEMPOTENCY_KEY="no-chain-key-1",
    )
    # A linked wallet is needed for crypto; without one the order is refused before the chain.
    assert response.status_code in (422, 503), response.content
    user.wallet_address = anvil_account(7).address
    user.save(update_fields=["wallet_address"])
    with caplog.at_level(logging.ERROR, logger="core.errors"):
        response = client.post(
            "/api/v1/orders/",
            {"batch": batch.pk, "quantity": 1, "method": "crypto"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {user_tokens(user=user)['access']}",
            HTTP_IDEMPOTENCY_KEY="no-chain-key-2",
        )
    assert response.status_code == 503, response.content
    body = response.json()["error"]
    assert body["code"] == "chain_not_configured"
    assert str(settings.CHAIN_DEPLOYMENT_RECORD) not in body["message"]
    assert "manage.py" not in body["message"]
    assert str(settings.CHAIN_DEPLOYMENT_RECORD) in caplog.text  # operators still see it


ALLOWED_ORIGIN = "http://localhost:5173"


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN])
def test_cors_answers_the_configured_origin(client: Client, origin: str) -> None:
    assert origin in settings.CORS_ALLOWED_ORIGINS
    response = client.get("/api/v1/songs/", HTTP_ORIGIN=origin)
    assert response["Access-Control-Allow-Origin"] == origin
    preflight = client.options(
        "/api/v1/orders/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, idempotency-key",
    )
    assert preflight["Access-Control-Allow-Origin"] == origin
    allowed = preflight["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed
    assert "idempotency-key" in allowed


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://localhost:5173.evil.example", "null", "http://localhost:5174"],
)
def test_cors_refuses_any_other_origin(client: Client, origin: str) -> None:
    for response in [
        client.get("/api/v1/songs/", HTTP_ORIGIN=origin),
        client.get("/api/v1/auth/me/", HTTP_ORIGIN=origin),
        client.options(
            "/api/v1/auth/login/",
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
        ),
    ]:
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Credentials" not in response


def test_cors_never_allows_credentials(client: Client) -> None:
    response = client.get("/api/v1/songs/", HTTP_ORIGIN=ALLOWED_ORIGIN)
    assert "Access-Control-Allow-Credentials" not in response


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """DEBUG on every logger before the world is built, so its setup is captured too."""
    caplog.set_level(logging.DEBUG)
    for name in ["chain", "accounts", "payments", "trackpacks", "core", "web3", "django"]:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.mark.chain
def test_logs_of_the_main_flows_hold_no_key_or_mnemonic(
    debug_logs: pytest.LogCaptureFixture, world: World
) -> None:
    """The world's setup is the representative run: register, SIWE link, songs and a batch
    sent through the outbox, custodial mint, backend-sent open and withdrawal (custodial
    derivation included), and a crypto order."""
    records = debug_logs.get_records("setup") + debug_logs.get_records("call")
    assert len(records) > 20  # the flows did log (DEBUG included)
    assert any(r.name.startswith("chain") for r in records)
    formatter = logging.Formatter("%(name)s %(message)s")
    text = "\n".join(formatter.format(record) + repr(record.args) for record in records)
    secrets = [s for s in secrets_in_play() if s not in (settings.SECRET_KEY,)]
    for secret in secrets:
        assert secret.lower() not in text.lower(), f"a secret ({secret[:6]}...) is logged"
    assert "test test test" not in text
