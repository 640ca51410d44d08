"""OWASP API4:2023 unrestricted resource consumption (and API6 sensitive business flows):
page sizes are capped and pagination input is validated on every list, and the public auth
endpoints, order creation and pack opening are throttled with a 429 and `Retry-After`.

Already covered elsewhere: login per email and per IP, password reset per email and per IP
(tests/accounts/test_auth_api.py)."""

import warnings
from typing import Any

import pytest
from django.core.cache.backends.base import CacheKeyWarning
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from tests.conftest import PASSWORD, SchemaCheckedClient
from tests.factories import make_batch, make_order, make_pack, make_song
from trackpacks.models import Pack, PackStatus

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/songs/",
    "/api/v1/batches/",
    "/api/v1/packs/",
    "/api/v1/orders/",
    "/api/v1/collection/withdrawals/",
]


@pytest.fixture
def rows(user: User, chain: Any) -> None:
    """Rows in every list; orders render their payment call, so the chain is deployed."""
    batch = make_batch(songs=3)
    for _ in range(3):
        make_song()
        make_pack(owner=user, batch=batch)
        make_order(user=user, batch=batch)


@pytest.fixture
def rate(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Lower one throttle scope's rate for a test (DRF binds the rates dict at import)."""

    def set_rate(scope: str, value: str) -> None:
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, value)

    return set_rate


@pytest.mark.parametrize("path", LISTS)
def test_a_huge_page_size_is_capped_not_an_error(auth_api: Any, rows: None, path: str) -> None:
    response = auth_api.get(path, {"page_size": 10**30})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) <= 100


def test_page_size_is_capped_at_100(auth_api: Any, user: User) -> None:
    batch = make_batch(songs=1, supply=1000)
    Pack.objects.bulk_create(
        Pack(owner=user, batch=batch, custody="self", holder_address="0x" + "ab" * 20)
        for _ in range(120)
    )
    body = auth_api.get("/api/v1/packs/", {"page_size": 1000}).json()
    assert body["count"] == 120
    assert len(body["results"]) == 100


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "query",
    [{"page_size": "lots"}, {"page_size": "-5"}, {"page_size": "0"}, {"page": "x"}, {"page": ""}],
)
def test_junk_pagination_input_is_a_400_not_silently_ignored(
    auth_api: Any, rows: None, path: str, query: dict[str, str]
) -> None:
    response = auth_api.get(path, query)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("path", LISTS)
def test_a_huge_page_number_is_a_404_not_a_database_error(
    auth_api: Any, rows: None, path: str
) -> None:
    response = auth_api.get(path, {"page": 2563466181775762944, "page_size": 100})
    assert response.status_code == 404, response.content


def _hammer(call: Any, times: int) -> Any:
    responses = [call() for _ in range(times)]
    assert all(r.status_code != 429 for r in responses[:-1]), [r.status_code for r in responses]
    return responses[-1]


def _assert_throttled(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"


def test_register_is_throttled_per_ip(api: SchemaCheckedClient, rate: Any) -> None:
    rate("register_ip", "3/hour")
    emails = iter(range(10))
    last = _hammer(
        lambda: api.post(
            "/api/v1/auth/register/", {"email": f"n{next(emails)}@example.com", "password": "x"}
        ),
        4,
    )
    _assert_throttled(last)
    assert User.objects.count() == 0  # the short passwords were refused, nothing slipped past


def test_order_creation_is_throttled_per_user(auth_api: Any, rate: Any) -> None:
    rate("order_create", "3/min")
    batch = make_batch()
    keys = iter(range(10))
    last = _hammer(
        lambda: auth_api.post(
            "/api/v1/orders/",
            {"batch": batch.pk, "quantity": 0, "method": "crypto"},
            HTTP_IDEMPOTENCY_KEY=f"throttle-key-{next(keys)}",
        ),
        4,
    )
    _assert_throttled(last)


def test_order_throttle_is_per_user_not_global(auth_api: Any, rate: Any) -> None:
    rate("order_create", "1/min")
    _hammer(lambda: auth_api.post("/api/v1/orders/", {}), 2)
    other = SchemaCheckedClient()
    other.post("/api/v1/auth/register/", {"email": "o@example.com", "password": PASSWORD})
    other.force_authenticate(User.objects.get(email="o@example.com"))
    assert other.post("/api/v1/orders/", {}).status_code == 400


def test_pack_opening_is_throttled_per_user(auth_api: Any, user: User, rate: Any) -> None:
    rate("pack_open", "3/min")
    pack = make_pack(owner=user, batch=make_batch(), status=PackStatus.OPENED)
    last = _hammer(lambda: auth_api.post(f"/api/v1/packs/{pack.pk}/open/"), 4)
    _assert_throttled(last)


def test_login_throttle_answers_before_checking_the_password(
    api: SchemaCheckedClient, user: User, rate: Any
) -> None:
    """Once throttled, even the right password gets a 429: no oracle for a guessing bot."""
    rate("login_email", "2/min")
    _hammer(lambda: api.post("/api/v1/auth/login/", {"email": user.email, "password": "no"}), 2)
    right = api.post("/api/v1/auth/login/", {"email": user.email, "password": PASSWORD})
    _assert_throttled(right)
    assert "access" not in right.json()


@pytest.mark.parametrize("path", ["/api/v1/auth/login/", "/api/v1/auth/password/reset/"])
def test_per_email_throttle_keys_are_safe_for_any_cache_backend(
    api: SchemaCheckedClient, path: str
) -> None:
    """The email is the client's: 254 characters with spaces would be an invalid memcached
    key (Django warns, memcached errors), so the throttle keys on its hash."""
    email = ("a b" * 80) + "@example.com"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        response = api.post(path, {"email": email, "password": "x"})
    assert response.status_code in (400, 401, 202)
