"""Static files as production serves them (`collectstatic` into hashed, compressed files,
WhiteNoise, DEBUG off): Swagger UI, Redoc and the admin get their assets with the right
content types and nothing from another origin. Error reports mask every credential."""

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.views.debug import ExceptionReporter

PRODUCTION_STATIC = {
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        # Hashed names as in production; compression (slow) is checked on the production
        # profile's own collectstatic (tests/production/test_profile.py).
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    },
    "WHITENOISE_USE_FINDERS": False,
    "DEBUG": False,
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, **PRODUCTION_STATIC):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def _assert_served(client: Client, url: str) -> None:
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200, url
    suffix = Path(url).suffix
    assert response["Content-Type"].startswith(EXPECTED_TYPES[suffix]), url
    assert "max-age=315360000" in response["Cache-Control"], url  # hashed name: cached forever
    b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_swagger_ui_assets_are_hashed_and_served_with_their_types(collected: Path) -> None:
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    urls = _asset_urls(page.content.decode())
    assert any(u.endswith(".css") for u in urls)
    assert any(u.endswith(".js") for u in urls)
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.(js|css|png)$", url), url  # manifest-hashed
        _assert_served(client, url)


def test_redoc_loads_nothing_from_another_origin(collected: Path) -> None:
    client = Client()
    page = client.get("/api/redoc/")
    assert page.status_code == 200
    html = page.content.decode()
    for host in ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.redoc.ly", "cdn.jsdelivr"):
        assert host not in html
    assert not re.search(r'(?:src|href)="https?://', html)
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "img-src 'self' data:" in policy  # the bundle's remote logo is blocked
    for url in _asset_urls(html):
        _assert_served(client, url)


def test_admin_assets_are_served(collected: Path) -> None:
    client = Client()
    page = client.get("/admin/login/")
    assert page.status_code == 200
    urls = [u for u in _asset_urls(page.content.decode()) if u.endswith((".css", ".js"))]
    assert urls
    for url in urls:
        _assert_served(client, url)


def test_a_missing_static_file_is_a_json_404(collected: Path) -> None:
    response = Client().get("/static/nope.js")
    assert response.status_code == 404


SECRETS = {
    "CUSTODIAL_MNEMONIC": "abandon ability able about above absent absorb abstract absurd abuse",
    "CHAIN_RPC_URL": "https://polygon-amoy.example/v2/rpc-api-key-123",
    "CHAIN_MINTER_PRIVATE": "0x" + "ab" * 32,
    "STRIPE_WEBHOOK_SECRET": "whsec_live_masked_secret",
    "SENTRY_DSN": "https://publickey@sentry.example/42",
    "DATABASE_URL": "postgres://app:db-password-9@db/app",
    "CELERY_BROKER_URL": "redis://:broker-password-7@redis:6379/0",
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "redis://:cache-password-5@redis:6379/1",
        }
    },
}


BEARER = "Bearer " + "-".join(["secret", "access", "token"])


def test_error_reports_mask_mnemonics_keys_webhook_secrets_and_credential_urls() -> None:
    request = RequestFactory().get("/boom", HTTP_AUTHORIZATION=BEARER)
    with override_settings(**SECRETS):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            reporter = ExceptionReporter(request, *sys.exc_info())
            text = reporter.get_traceback_text()
            html = reporter.get_traceback_html()
    assert "boom" in text
    for leaked in [
        "abandon ability",
        "rpc-api-key-123",
        "ab" * 32,
        "whsec_live_masked_secret",
        "publickey@",
        "db-password-9",
        "broker-password-7",
        "cache-password-5",
        "secret-access-token",
    ]:
        assert leaked not in text, leaked
        assert leaked not in html, leaked
