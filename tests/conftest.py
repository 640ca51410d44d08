from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import user_tokens
from tests.openapi import validate_response

pytest_plugins = ["tests.chain_fixtures", "tests.payments.stripe_fixtures"]

PASSWORD = "correct-horse-battery-staple"


class SchemaCheckedClient(APIClient):
    """An API client that checks every response against the generated OpenAPI document."""

    def request(self, **kwargs: Any) -> Any:
        response = super().request(**kwargs)
        body = response.json() if response.content and _is_json(response) else None
        validate_response(kwargs["PATH_INFO"], kwargs["REQUEST_METHOD"], response.status_code, body)
        return response


def _is_json(response: Any) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """SQLite tests use a database file, not Django's shared in-memory database. With the
    in-memory one, Django hands the live-server thread the test's own connection, so a test
    could read a webhook's writes before they were committed (a status set, the packs not yet
    released): flaky. With a file each thread has its own connection and sees committed rows."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()  # throttle counters live in the cache
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_and_pin_store(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded media and the local IPFS pin store live in a fresh directory per test."""
    root = tmp_path_factory.mktemp("data")
    settings.MEDIA_ROOT = root / "media"
    settings.IPFS_STORE_DIR = root / "ipfs"


@pytest.fixture
def api() -> SchemaCheckedClient:
    return SchemaCheckedClient()


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user(
        "fan@example.com", PASSWORD, display_name="Fan", email_verified_at=timezone.now()
    )


@pytest.fixture
def tokens(user: User) -> dict[str, str]:
    return user_tokens(user=user)


@pytest.fixture
def auth_api(api: SchemaCheckedClient, tokens: dict[str, str]) -> SchemaCheckedClient:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return api


def verify_email_from_outbox(api: Any, email: str) -> Any:
    """Follow the newest verification link mailed to `email`, as the fan's browser would."""
    from django.core import mail

    sent = [m for m in mail.outbox if email in m.to and "verify-email?token=" in m.body]
    assert sent, f"no verification mail to {email}"
    token = sent[-1].body.split("verify-email?token=")[1].split()[0]
    return api.post("/api/v1/auth/email/verify/", {"token": token})
