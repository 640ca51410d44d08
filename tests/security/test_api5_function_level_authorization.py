"""OWASP API5:2023 broken function-level authorization: the Django admin is for staff sessions
only, API tokens never open it, and no admin-only data or function is reachable through the
API (staff accounts get the same caller-scoped API as anyone)."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import user_tokens
from tests.conftest import PASSWORD
from tests.factories import make_batch, make_order, make_pack
from tests.openapi import openapi_document

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/payments/order/",
    "/admin/trackpacks/pack/",
    "/admin/chain/chaintransaction/",
]


@pytest.fixture
def victim() -> User:
    victim = User.objects.create_user("victim-secret@example.com", PASSWORD)
    make_order(user=victim, batch=make_batch())
    return victim


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("staff@example.com", PASSWORD, is_staff=True, is_superuser=True)


def _assert_sent_to_login(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert b"victim-secret" not in response.content


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_refuses_anonymous_and_non_staff_sessions(
    client: Client, user: User, victim: User, page: str
) -> None:
    _assert_sent_to_login(client.get(page))
    client.force_login(user)
    _assert_sent_to_login(client.get(page))


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_ignores_api_tokens_even_a_staff_members(
    client: Client, staff: User, victim: User, page: str
) -> None:
    access = user_tokens(user=staff)["access"]
    _assert_sent_to_login(client.get(page, HTTP_AUTHORIZATION=f"Bearer {access}"))


def test_admin_serves_a_staff_session(client: Client, staff: User, victim: User) -> None:
    """Control: the same pages open for staff, so the refusals above are about the caller."""
    client.force_login(staff)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert b"victim-secret" in response.content


def test_non_staff_admin_login_is_refused(client: Client, user: User) -> None:
    response = client.post(
        "/admin/login/?next=/admin/", {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


def test_staff_get_no_wider_view_through_the_api(auth_api: Any, staff: User, victim: User) -> None:
    victims_pack = make_pack(owner=victim, batch=make_batch())
    auth_api.credentials(HTTP_AUTHORIZATION=f"Bearer {user_tokens(user=staff)['access']}")
    assert auth_api.get("/api/v1/orders/").json()["count"] == 0
    assert auth_api.get(f"/api/v1/orders/{victim.orders.get().pk}/").status_code == 404
    assert auth_api.get(f"/api/v1/packs/{victims_pack.pk}/").status_code == 404
    me = auth_api.get("/api/v1/auth/me/").json()
    assert set(me) == {
        "id",
        "email",
        "email_verified",
        "pending_email",
        "display_name",
        "date_joined",
        "wallet_address",
        "custodial_wallet_address",
    }


def test_the_api_has_no_admin_functions() -> None:
    """Every operation is public catalog, auth for oneself, or the caller's own objects; a new
    path (users, chain transactions, refunds...) must be added here deliberately."""
    allowed = {
        "auth",
        "batches",
        "collection",
        "config",
        "health",
        "openings",  # public, read-only proofs of openings (GET only)
        "orders",
        "packs",
        "payments",
        "songs",
    }
    paths = openapi_document()["paths"]
    roots = {path.removeprefix("/api/v1/").split("/")[0] for path in paths}
    assert roots <= allowed, roots - allowed
    proofs = {path: ops for path, ops in paths.items() if path.startswith("/api/v1/openings/")}
    assert {method for ops in proofs.values() for method in ops} == {"get"}
    methods = {method for operations in paths.values() for method in operations}
    assert methods <= {"get", "post", "patch"}, methods  # no PUT/DELETE anywhere
