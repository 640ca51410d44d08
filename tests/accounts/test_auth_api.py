"""The auth API over HTTP: success and failure paths, tokens, throttles, error bodies."""

import base64
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from freezegun import freeze_time
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/auth/me/"
CHANGE = "/api/v1/auth/password/change/"
RESET = "/api/v1/auth/password/reset/"
RESET_CONFIRM = "/api/v1/auth/password/reset/confirm/"


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


# Registration


def test_register_returns_user_and_working_tokens(api: Any) -> None:
    response = api.post(
        REGISTER, {"email": "New@Example.com", "password": PASSWORD, "display_name": "Neo"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "new@example.com"
    assert body["user"]["display_name"] == "Neo"
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api.get(ME).json()["email"] == "new@example.com"
    assert User.objects.get(email="new@example.com").password.startswith("argon2")


def test_register_refuses_duplicate_email_case_insensitively(api: Any, user: User) -> None:
    response = api.post(REGISTER, {"email": "FAN@example.com", "password": PASSWORD})
    assert_error(response, 409, "email_taken")
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "password", ["short", "password1234", "123456789012345", "fan@example.com1"]
)
def test_register_refuses_weak_passwords(api: Any, password: str) -> None:
    response = api.post(REGISTER, {"email": "fan@example.com", "password": password})
    body = assert_error(response, 400, "validation_error")
    assert "password" in body["details"]["fields"]
    assert not User.objects.exists()


def test_register_reports_every_missing_field(api: Any) -> None:
    body = assert_error(api.post(REGISTER, {}), 400, "validation_error")
    assert set(body["details"]["fields"]) == {"email", "password"}


def test_malformed_json_is_a_400_with_the_error_body(api: Any) -> None:
    response = api.post(REGISTER, data='{"email": ', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_non_json_body_is_refused_with_415(api: Any) -> None:
    response = api.post(
        REGISTER, data="email=a@b.c", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_wrong_method_is_a_405_with_the_error_body(api: Any) -> None:
    response = api.put(LOGIN, {})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# Login


def test_login_with_any_case_email(api: Any, user: User) -> None:
    response = api.post(LOGIN, {"email": "Fan@Example.COM", "password": PASSWORD})
    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["user_id"] == str(user.pk)


def test_login_wrong_password_and_unknown_email_look_the_same(api: Any, user: User) -> None:
    wrong = assert_error(
        api.post(LOGIN, {"email": user.email, "password": "not-the-password"}),
        401,
        "invalid_credentials",
    )
    unknown = assert_error(
        api.post(LOGIN, {"email": "nobody@example.com", "password": PASSWORD}),
        401,
        "invalid_credentials",
    )
    assert wrong == unknown


def test_login_refuses_inactive_user(api: Any, user: User) -> None:
    user.is_active = False
    user.save()
    assert_error(
        api.post(LOGIN, {"email": user.email, "password": PASSWORD}), 401, "invalid_credentials"
    )


def _rate_limit(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def test_login_is_throttled_per_email_with_retry_after(api: Any, user: User) -> None:
    for _ in range(_rate_limit("login_email")):
        api.post(LOGIN, {"email": user.email, "password": "wrong-password-x"})
    response = api.post(LOGIN, {"email": user.email.upper(), "password": PASSWORD})
    body = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert body["details"]["retry_after"] > 0
    # Another account from the same address is still served.
    other = api.post(LOGIN, {"email": "other@example.com", "password": PASSWORD})
    assert other.status_code == 401


def test_login_is_throttled_per_ip_across_emails(api: Any) -> None:
    for i in range(_rate_limit("login_ip")):
        api.post(LOGIN, {"email": f"user{i}@example.com", "password": PASSWORD})
    response = api.post(LOGIN, {"email": "fresh@example.com", "password": PASSWORD})
    assert_error(response, 429, "throttled")
    elsewhere = api.post(
        LOGIN, {"email": "fresh@example.com", "password": PASSWORD}, REMOTE_ADDR="10.9.8.7"
    )
    assert elsewhere.status_code == 401


# Access tokens


def test_me_requires_a_token(api: Any) -> None:
    response = api.get(ME)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_access_token_is_refused(api: Any, tokens: dict[str, str]) -> None:
    with freeze_time() as frozen:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        frozen.tick(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(seconds=1))
        assert_error(api.get(ME), 401, "token_not_valid")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_access_token_is_refused(api: Any, tokens: dict[str, str], user: User) -> None:
    header, payload, signature = tokens["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["user_id"] = str(user.pk + 1)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {header}.{_b64(claims)}.{signature}")
    assert_error(api.get(ME), 401, "token_not_valid")


def test_alg_none_token_is_refused(api: Any, tokens: dict[str, str]) -> None:
    _, payload, _ = tokens["access"].split(".")
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_error(api.get(ME), 401, "token_not_valid")


def test_refresh_token_is_not_accepted_as_access(api: Any, tokens: dict[str, str]) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['refresh']}")
    assert_error(api.get(ME), 401, "token_not_valid")


# Refresh and logout


def test_refresh_rotates_and_refuses_reuse(api: Any, tokens: dict[str, str], settings: Any) -> None:
    settings.JWT_REFRESH_GRACE_SECONDS = 0  # the grace window: tests/accounts/test_refresh_grace.py
    first = api.post(REFRESH, {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh"] != tokens["refresh"]
    assert_error(api.post(REFRESH, {"refresh": tokens["refresh"]}), 401, "token_not_valid")
    assert api.post(REFRESH, {"refresh": rotated["refresh"]}).status_code == 200


def test_refresh_with_garbage_is_401(api: Any) -> None:
    assert_error(api.post(REFRESH, {"refresh": "not.a.token"}), 401, "token_not_valid")


def test_refresh_with_access_token_is_401(api: Any, tokens: dict[str, str]) -> None:
    assert_error(api.post(REFRESH, {"refresh": tokens["access"]}), 401, "token_not_valid")


def test_logout_revokes_the_refresh_token(auth_api: Any, tokens: dict[str, str]) -> None:
    response = auth_api.post(LOGOUT, {"refresh": tokens["refresh"]})
    assert response.status_code == 204
    assert_error(auth_api.post(REFRESH, {"refresh": tokens["refresh"]}), 401, "token_not_valid")


def test_logout_is_not_a_get(auth_api: Any) -> None:
    assert auth_api.get(LOGOUT).status_code == 405


def test_logout_refuses_someone_elses_token(auth_api: Any) -> None:
    other = User.objects.create_user("other@example.com", PASSWORD)
    from accounts.services import user_tokens

    theirs = user_tokens(user=other)
    assert_error(auth_api.post(LOGOUT, {"refresh": theirs["refresh"]}), 403, "token_not_yours")
    assert auth_api.post(REFRESH, {"refresh": theirs["refresh"]}).status_code == 200


# Profile


def test_me_patch_changes_display_name_only(auth_api: Any, user: User) -> None:
    response = auth_api.patch(
        ME, {"display_name": "DJ Fan", "email": "evil@example.com", "is_staff": True}
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.display_name, user.email, user.is_staff) == ("DJ Fan", "fan@example.com", False)


def test_me_patch_validates(auth_api: Any) -> None:
    body = assert_error(auth_api.patch(ME, {"display_name": "x" * 81}), 400, "validation_error")
    assert "display_name" in body["details"]["fields"]


# Password change


def test_password_change_revokes_every_refresh_token(
    auth_api: Any, user: User, tokens: Any
) -> None:
    other_session = auth_api.post(LOGIN, {"email": user.email, "password": PASSWORD}).json()
    response = auth_api.post(
        CHANGE, {"old_password": PASSWORD, "new_password": "a-new-long-passphrase"}
    )
    assert response.status_code == 204
    for refresh in (tokens["refresh"], other_session["refresh"]):
        assert_error(auth_api.post(REFRESH, {"refresh": refresh}), 401, "token_not_valid")
    assert (
        auth_api.post(LOGIN, {"email": user.email, "password": "a-new-long-passphrase"}).status_code
        == 200
    )


def test_password_change_checks_old_password(auth_api: Any, user: User) -> None:
    body = assert_error(
        auth_api.post(
            CHANGE, {"old_password": "wrong-one-here", "new_password": "a-new-long-passphrase"}
        ),
        400,
        "validation_error",
    )
    assert "old_password" in body["details"]["fields"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_refuses_weak_new_password(auth_api: Any, user: User) -> None:
    body = assert_error(
        auth_api.post(CHANGE, {"old_password": PASSWORD, "new_password": "short"}),
        400,
        "validation_error",
    )
    assert "new_password" in body["details"]["fields"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# Password reset


def _reset_link_parts() -> tuple[str, str]:
    assert len(mail.outbox) == 1
    match = re.search(r"uid=([\w-]+)&token=([\w-]+)", mail.outbox[0].body)
    assert match
    return match.group(1), match.group(2)


def test_password_reset_full_flow_and_single_use(api: Any, user: User, tokens: Any) -> None:
    assert api.post(RESET, {"email": "FAN@example.com"}).status_code == 202
    uid, token = _reset_link_parts()
    new = {"uid": uid, "token": token, "new_password": "reset-to-this-phrase"}
    assert api.post(RESET_CONFIRM, new).status_code == 204
    assert (
        api.post(LOGIN, {"email": user.email, "password": "reset-to-this-phrase"}).status_code
        == 200
    )
    assert_error(api.post(REFRESH, {"refresh": tokens["refresh"]}), 401, "token_not_valid")
    again = {**new, "new_password": "and-once-more-please"}
    assert_error(api.post(RESET_CONFIRM, again), 400, "invalid_reset_token")


def test_password_reset_for_unknown_email_is_also_202_and_sends_nothing(api: Any) -> None:
    assert api.post(RESET, {"email": "nobody@example.com"}).status_code == 202
    assert mail.outbox == []


def test_password_reset_token_expires(api: Any, user: User) -> None:
    with freeze_time() as frozen:
        api.post(RESET, {"email": user.email})
        uid, token = _reset_link_parts()
        frozen.tick(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
        response = api.post(
            RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "too-late-phrase"}
        )
    assert_error(response, 400, "invalid_reset_token")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("uid", ["", "!!!", "MTIzNDU2Nzg5", "bm90LWEtbnVtYmVy"])
def test_password_reset_confirm_refuses_bad_uids(api: Any, user: User, uid: str) -> None:
    response = api.post(
        RESET_CONFIRM, {"uid": uid, "token": "x-y", "new_password": "whatever-long-1"}
    )
    assert response.status_code == 400


def test_password_reset_is_throttled_per_email(api: Any, user: User) -> None:
    for _ in range(_rate_limit("password_reset_email")):
        api.post(RESET, {"email": user.email}, REMOTE_ADDR="10.0.0.1")
    response = api.post(RESET, {"email": user.email}, REMOTE_ADDR="10.0.0.2")
    assert_error(response, 429, "throttled")


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_password_reset_is_throttled_per_ip(api: Any) -> None:
    for i in range(_rate_limit("password_reset_ip")):
        api.post(RESET, {"email": f"u{i}@example.com"})
    assert_error(api.post(RESET, {"email": "another@example.com"}), 429, "throttled")


@pytest.mark.chain
def test_each_user_gets_the_contracts_keyless_custodial_address(api: Any, chain: Any) -> None:
    """The backend's derivation equals the contract's own `custodialAddress(userId)` view, so
    the address the API shows is where `mintPacks(userId, ...)` puts the packs."""
    from chain.client import trackpacks_contract

    addresses = []
    for email in ("one@example.com", "two@example.com"):
        body = api.post(REGISTER, {"email": email, "password": PASSWORD}).json()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
        me = api.get(ME).json()
        user = User.objects.get(email=email)
        on_chain = trackpacks_contract().functions.custodialAddress(user.pk).call()
        assert me["custodial_wallet_address"] == on_chain
        addresses.append(me["custodial_wallet_address"])
    assert addresses[0] != addresses[1]
    # Nothing custodial is stored: no address to go stale, no key material anywhere.
    row = User.objects.filter(email="one@example.com").values().get()
    assert all("custodial" not in name and "key" not in name and "seed" not in name for name in row)


def test_custodial_address_is_unknown_before_any_deployment(api: Any) -> None:
    body = api.post(REGISTER, {"email": "early@example.com", "password": PASSWORD}).json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api.get(ME).json()["custodial_wallet_address"] is None
