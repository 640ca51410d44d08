"""OWASP API2:2023 broken authentication: forged, foreign and stale credentials are refused.

Already covered in tests/accounts/test_auth_api.py and not repeated here: tampered claims,
expired access, `alg: none`, a refresh token used as access, refresh reuse after rotation,
refresh after logout and after password change; SIWE replay, expiry, foreign domain/chain and
foreign nonce in tests/accounts/test_wallet_link.py. This module adds: other signing keys and
algorithms, header and transport variants, deactivated and deleted users, refresh after a
password reset, and a SIWE message replayed by another account."""

import base64
import json
import time
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from eth_account import Account
from eth_account.messages import encode_defunct

from accounts.models import User
from tests.conftest import PASSWORD, SchemaCheckedClient

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
REFRESH = "/api/v1/auth/refresh/"


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return claims


def _assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.content
    assert "WWW-Authenticate" in response
    assert "access" not in response.json()


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        ("HS256", "another-secret-entirely"),
        ("HS256", "x"),
        ("HS512", None),  # the right key, an algorithm the API does not accept
        ("HS384", None),
    ],
)
def test_tokens_signed_with_another_key_or_algorithm_are_refused(
    api: SchemaCheckedClient, tokens: dict[str, str], algorithm: str, key: str | None
) -> None:
    signing_key = settings.SIMPLE_JWT["SIGNING_KEY"] if key is None else key
    forged = jwt.encode(_claims(tokens["access"]), signing_key, algorithm=algorithm)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    _assert_refused(api.get(ME))


def test_a_freshly_minted_token_with_the_real_key_is_accepted(
    api: SchemaCheckedClient, tokens: dict[str, str]
) -> None:
    """Control for the test above: re-signing the same claims with the real key works."""
    resigned = jwt.encode(
        _claims(tokens["access"]), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256"
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {resigned}")
    assert api.get(ME).status_code == 200


def test_token_without_expiry_or_type_is_refused(
    api: SchemaCheckedClient, tokens: dict[str, str]
) -> None:
    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    for dropped in ["exp", "token_type", "jti"]:
        claims = {k: v for k, v in _claims(tokens["access"]).items() if k != dropped}
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {jwt.encode(claims, key, algorithm='HS256')}")
        _assert_refused(api.get(ME))


@pytest.mark.parametrize("scheme", ["JWT", "Token", "Basic", ""])
def test_only_the_bearer_scheme_authenticates(
    api: SchemaCheckedClient, tokens: dict[str, str], scheme: str
) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"{scheme} {tokens['access']}".strip())
    assert api.get(ME).status_code == 401


def test_a_token_in_the_query_string_or_a_cookie_is_ignored(
    api: SchemaCheckedClient, tokens: dict[str, str]
) -> None:
    assert api.get(ME, {"token": tokens["access"], "access": tokens["access"]}).status_code == 401
    api.cookies["access"] = tokens["access"]
    assert api.get(ME).status_code == 401


def test_a_deactivated_users_tokens_stop_working(
    api: SchemaCheckedClient, user: User, tokens: dict[str, str]
) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    _assert_refused(api.get(ME))
    api.credentials()
    _assert_refused(api.post(REFRESH, {"refresh": tokens["refresh"]}))


def test_a_deleted_users_tokens_stop_working(
    api: SchemaCheckedClient, user: User, tokens: dict[str, str]
) -> None:
    user.delete()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    _assert_refused(api.get(ME))
    api.credentials()
    _assert_refused(api.post(REFRESH, {"refresh": tokens["refresh"]}))


def test_refresh_after_a_password_reset_is_refused(
    api: SchemaCheckedClient, user: User, tokens: dict[str, str]
) -> None:
    confirm = api.post(
        "/api/v1/auth/password/reset/confirm/",
        {
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "new_password": "a-brand-new-passphrase",
        },
    )
    assert confirm.status_code == 204, confirm.content
    _assert_refused(api.post(REFRESH, {"refresh": tokens["refresh"]}))


def test_a_siwe_message_signed_for_one_account_cannot_link_another(
    auth_api: Any, user: User
) -> None:
    wallet = Account.create()
    message = auth_api.post("/api/v1/auth/wallet/nonce/", {"address": wallet.address}).json()[
        "message"
    ]
    signature = "0x" + wallet.sign_message(
        encode_defunct(text=message)
    ).signature.hex().removeprefix("0x")

    other = SchemaCheckedClient()
    body = other.post(
        "/api/v1/auth/register/", {"email": "other@example.com", "password": PASSWORD}
    ).json()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    stolen = other.post("/api/v1/auth/wallet/link/", {"message": message, "signature": signature})
    assert stolen.status_code == 422, stolen.content
    assert User.objects.get(email="other@example.com").wallet_address is None
    # ...and it is still good for the account it was made for.
    linked = auth_api.post(
        "/api/v1/auth/wallet/link/", {"message": message, "signature": signature}
    )
    assert linked.status_code == 200, linked.content


def test_login_for_an_unknown_email_takes_as_long_as_a_wrong_password(
    api: SchemaCheckedClient, user: User
) -> None:
    """No account enumeration by timing: both paths run the password hasher."""

    def duration(email: str) -> float:
        start = time.perf_counter()
        response = api.post("/api/v1/auth/login/", {"email": email, "password": "wrong-password"})
        assert response.status_code == 401
        return time.perf_counter() - start

    duration(user.email)  # warm-up
    known = min(duration(user.email) for _ in range(3))
    unknown = min(duration("nobody@example.com") for _ in range(3))
    assert unknown > known / 3, (known, unknown)
