"""Refresh-token rotation with a grace window: two tabs refreshing with the same token at once
both stay logged in (issue 12), and the window never outlives a revocation."""

import threading
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from tests.conftest import PASSWORD

REFRESH = "/api/v1/auth/refresh/"
pytestmark = pytest.mark.django_db


def test_the_same_refresh_token_twice_in_the_window_gets_the_same_pair(
    api: Any, tokens: dict[str, str]
) -> None:
    first = api.post(REFRESH, {"refresh": tokens["refresh"]})
    second = api.post(REFRESH, {"refresh": tokens["refresh"]})
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert first.json()["refresh"] != tokens["refresh"]
    # The new refresh token rotates normally.
    assert api.post(REFRESH, {"refresh": first.json()["refresh"]}).status_code == 200


def test_after_the_window_the_old_token_is_refused(
    api: Any, tokens: dict[str, str], settings: Any
) -> None:
    settings.JWT_REFRESH_GRACE_SECONDS = 0
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 200
    response = api.post(REFRESH, {"refresh": tokens["refresh"]})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_logging_out_the_new_token_ends_the_window(auth_api: Any, tokens: dict[str, str]) -> None:
    rotated = auth_api.post(REFRESH, {"refresh": tokens["refresh"]}).json()
    assert auth_api.post("/api/v1/auth/logout/", {"refresh": rotated["refresh"]}).status_code == 204
    assert auth_api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_a_password_change_ends_the_window(auth_api: Any, tokens: dict[str, str]) -> None:
    assert auth_api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 200
    change = {"old_password": PASSWORD, "new_password": "a-brand-new-passphrase"}
    assert auth_api.post("/api/v1/auth/password/change/", change).status_code == 204
    assert auth_api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_a_deactivated_account_gets_nothing_from_the_window(
    api: Any, user: User, tokens: dict[str, str]
) -> None:
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_refreshing_at_the_same_moment_both_stay_logged_in() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    user = User.objects.create_user("tabs@example.com", PASSWORD)
    from accounts.services import user_tokens

    refresh = user_tokens(user=user)["refresh"]
    start = threading.Barrier(4)
    answers: list[Any] = []

    def tab() -> None:
        start.wait()
        try:
            response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [200] * 4
    assert len({body["refresh"] for _, body in answers}) == 1
