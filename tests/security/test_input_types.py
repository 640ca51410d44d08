"""Request bodies take the JSON types the schema declares (found by the schema fuzzer): DRF's
stock fields would turn `1.99e38` into the display name "1.99e+38" or `"3"` into the integer 3."""

from typing import Any

import pytest

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", [1.996550786126974e38, 12, True, ["Fan"], {"name": "Fan"}])
def test_me_patch_refuses_a_display_name_that_is_not_a_string(
    auth_api: Any, user: User, value: Any
) -> None:
    response = auth_api.patch("/api/v1/auth/me/", {"display_name": value})
    assert response.status_code == 400, response.content
    assert "display_name" in response.json()["error"]["details"]["fields"]
    user.refresh_from_db()
    assert user.display_name == "Fan"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/register/", {"email": "a@example.com", "password": 123456789012345}),
        ("/api/v1/auth/login/", {"email": "fan@example.com", "password": 1}),
        ("/api/v1/auth/password/reset/", {"email": 5}),
        ("/api/v1/auth/refresh/", {"refresh": 1234}),
        ("/api/v1/auth/wallet/nonce/", {"address": 10**40}),
    ],
)
def test_auth_bodies_refuse_numbers_for_strings(
    auth_api: Any, user: User, path: str, body: dict[str, Any]
) -> None:
    response = auth_api.post(path, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"


def test_register_with_a_numeric_display_name_creates_nothing(api: Any) -> None:
    body = {"email": "n@example.com", "password": PASSWORD, "display_name": 42}
    assert api.post("/api/v1/auth/register/", body).status_code == 400
    assert not User.objects.filter(email="n@example.com").exists()


@pytest.mark.parametrize("amount", ["1", 1.5, True])
def test_withdraw_refuses_an_amount_that_is_not_an_integer(auth_api: Any, amount: Any) -> None:
    response = auth_api.post("/api/v1/collection/withdraw/", {"token_id": "1", "amount": amount})
    assert response.status_code == 400, response.content
    assert "amount" in response.json()["error"]["details"]["fields"]
