"""Wallet linking with Sign-In with Ethereum (EIP-4361) over HTTP, signed by real keys."""

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from freezegun import freeze_time

from accounts.models import User, WalletNonce
from accounts.services import SIWE_STATEMENT, user_tokens
from tests.accounts.test_auth_api import assert_error
from tests.conftest import PASSWORD, SchemaCheckedClient

pytestmark = pytest.mark.django_db

NONCE = "/api/v1/auth/wallet/nonce/"
LINK = "/api/v1/auth/wallet/link/"
ME = "/api/v1/auth/me/"

# anvil's first well-known development key (public knowledge, never holds real funds)
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@pytest.fixture
def wallet() -> LocalAccount:
    account: LocalAccount = Account.from_key(ANVIL_KEY)
    assert account.address == ANVIL_ADDRESS
    return account


def sign(account: LocalAccount, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix(
        "0x"
    )


def challenge(client: Any, address: str) -> dict[str, Any]:
    response = client.post(NONCE, {"address": address})
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def hand_built(
    address: str,
    nonce: str,
    *,
    domain: str = "localhost:8000",
    uri: str = "http://localhost:8000",
    chain_id: int = 31337,
    minutes: int = 5,
) -> str:
    """An EIP-4361 message assembled by hand, as a phishing site or a buggy client would."""
    now = timezone.now()
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return (
        f"{domain} wants you to sign in with your Ethereum account:\n{address}\n\n"
        f"{SIWE_STATEMENT}\n\nURI: {uri}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\n"
        f"Issued At: {now.strftime(stamp)}\n"
        f"Expiration Time: {(now + timedelta(minutes=minutes)).strftime(stamp)}"
    )


def other_client(email: str = "other@example.com") -> tuple[User, Any]:
    other = User.objects.create_user(email, PASSWORD)
    client = SchemaCheckedClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {user_tokens(user=other)['access']}")
    return other, client


# Nonce


def test_nonce_builds_a_full_eip4361_message(auth_api: Any, user: User) -> None:
    body = challenge(auth_api, ANVIL_ADDRESS.lower())
    nonce, message = body["nonce"], body["message"]
    assert len(nonce) >= 8
    assert nonce.isalnum()
    lines = message.split("\n")
    assert lines[0] == "localhost:8000 wants you to sign in with your Ethereum account:"
    assert lines[1] == ANVIL_ADDRESS  # checksummed even though sent lower-case
    assert SIWE_STATEMENT in lines
    for expected in (
        "URI: http://localhost:8000",
        "Version: 1",
        "Chain ID: 31337",
        f"Nonce: {nonce}",
    ):
        assert expected in lines
    assert any(line.startswith("Issued At: ") for line in lines)
    assert any(line.startswith("Expiration Time: ") for line in lines)
    stored = WalletNonce.objects.get(nonce=nonce)
    assert stored.user == user
    assert stored.used_at is None
    assert stored.message == message
    assert timedelta(seconds=295) < stored.expires_at - timezone.now() <= timedelta(seconds=300)


def test_nonces_are_unique_per_request(auth_api: Any) -> None:
    nonces = {challenge(auth_api, ANVIL_ADDRESS)["nonce"] for _ in range(5)}
    assert len(nonces) == 5


@override_settings(
    SIWE_DOMAIN="app.trackpacks.example",
    SIWE_URI="https://app.trackpacks.example",
    CHAIN_ID=80002,
    SIWE_NONCE_TTL_SECONDS=60,
)
def test_nonce_message_follows_settings(auth_api: Any) -> None:
    body = challenge(auth_api, ANVIL_ADDRESS)
    assert body["message"].startswith("app.trackpacks.example wants you")
    assert "URI: https://app.trackpacks.example\n" in body["message"]
    assert "Chain ID: 80002\n" in body["message"]
    assert WalletNonce.objects.get().expires_at - timezone.now() <= timedelta(seconds=60)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "0x123",
        "f39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0xZ39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266",  # mixed case, wrong checksum
    ],
)
def test_nonce_refuses_bad_addresses(auth_api: Any, address: str) -> None:
    body = assert_error(auth_api.post(NONCE, {"address": address}), 400, "validation_error")
    assert "address" in body["details"]["fields"]
    assert not WalletNonce.objects.exists()


def test_nonce_requires_an_address(auth_api: Any) -> None:
    body = assert_error(auth_api.post(NONCE, {}), 400, "validation_error")
    assert "address" in body["details"]["fields"]


def test_nonce_for_a_wallet_linked_elsewhere_is_a_409(auth_api: Any) -> None:
    User.objects.create_user("owner@example.com", PASSWORD, wallet_address=ANVIL_ADDRESS)
    assert_error(auth_api.post(NONCE, {"address": ANVIL_ADDRESS}), 409, "wallet_taken")


def test_wallet_endpoints_need_authentication(api: Any) -> None:
    assert_error(api.post(NONCE, {"address": ANVIL_ADDRESS}), 401, "not_authenticated")
    assert_error(api.post(LINK, {"message": "x", "signature": "0x00"}), 401, "not_authenticated")


# Link: success


def test_link_happy_path(auth_api: Any, user: User, wallet: LocalAccount) -> None:
    assert auth_api.get(ME).json()["wallet_address"] is None
    body = challenge(auth_api, wallet.address)
    response = auth_api.post(
        LINK, {"message": body["message"], "signature": sign(wallet, body["message"])}
    )
    assert response.status_code == 200, response.content
    assert response.json()["wallet_address"] == ANVIL_ADDRESS
    me = auth_api.get(ME).json()
    assert me["wallet_address"] == ANVIL_ADDRESS
    assert me["custodial_wallet_address"] is None
    user.refresh_from_db()
    assert user.wallet_address == ANVIL_ADDRESS
    assert WalletNonce.objects.get(nonce=body["nonce"]).used_at is not None


def test_wallet_address_is_read_only_on_me(auth_api: Any, user: User) -> None:
    response = auth_api.patch(ME, {"wallet_address": ANVIL_ADDRESS, "display_name": "Neo"})
    assert response.status_code == 200
    assert response.json()["wallet_address"] is None
    user.refresh_from_db()
    assert user.wallet_address is None


def test_relinking_replaces_the_previous_wallet(
    auth_api: Any, user: User, wallet: LocalAccount
) -> None:
    first = challenge(auth_api, wallet.address)
    auth_api.post(LINK, {"message": first["message"], "signature": sign(wallet, first["message"])})
    fresh = Account.create()
    second = challenge(auth_api, fresh.address)
    response = auth_api.post(
        LINK, {"message": second["message"], "signature": sign(fresh, second["message"])}
    )
    assert response.status_code == 200
    assert response.json()["wallet_address"] == fresh.address
    user.refresh_from_db()
    assert user.wallet_address == fresh.address
    # the old address is free again for someone else
    _, client = other_client()
    assert client.post(NONCE, {"address": wallet.address}).status_code == 201


# Link: refusals


def test_replayed_message_is_refused(auth_api: Any, user: User, wallet: LocalAccount) -> None:
    body = challenge(auth_api, wallet.address)
    payload = {"message": body["message"], "signature": sign(wallet, body["message"])}
    assert auth_api.post(LINK, payload).status_code == 200
    assert_error(auth_api.post(LINK, payload), 422, "siwe_nonce_invalid")


def test_used_nonce_stays_used_after_the_wallet_is_cleared(
    auth_api: Any, user: User, wallet: LocalAccount
) -> None:
    """A used nonce stays used: even after the user links another wallet, replay fails."""
    body = challenge(auth_api, wallet.address)
    payload = {"message": body["message"], "signature": sign(wallet, body["message"])}
    auth_api.post(LINK, payload)
    User.objects.filter(pk=user.pk).update(wallet_address=None)
    assert_error(auth_api.post(LINK, payload), 422, "siwe_nonce_invalid")
    user.refresh_from_db()
    assert user.wallet_address is None


@override_settings(SIWE_NONCE_TTL_SECONDS=60)  # shorter than the access token's 5 minutes
def test_expired_message_is_refused(auth_api: Any, user: User, wallet: LocalAccount) -> None:
    body = challenge(auth_api, wallet.address)
    payload = {"message": body["message"], "signature": sign(wallet, body["message"])}
    with freeze_time(timezone.now() + timedelta(seconds=61)):
        assert_error(auth_api.post(LINK, payload), 422, "siwe_expired")
    user.refresh_from_db()
    assert user.wallet_address is None
    assert WalletNonce.objects.get().used_at is None


def test_edited_domain_is_refused(auth_api: Any, user: User, wallet: LocalAccount) -> None:
    body = challenge(auth_api, wallet.address)
    signature = sign(wallet, body["message"])
    edited = body["message"].replace("localhost:8000 wants", "evil.example wants", 1)
    assert_error(
        auth_api.post(LINK, {"message": edited, "signature": signature}),
        422,
        "siwe_domain_mismatch",
    )
    user.refresh_from_db()
    assert user.wallet_address is None


def test_correctly_signed_message_for_a_foreign_domain_is_refused(
    auth_api: Any, user: User, wallet: LocalAccount
) -> None:
    """A phishing site relays our nonce in a message for its own domain; the wallet signs it."""
    nonce = challenge(auth_api, wallet.address)["nonce"]
    message = hand_built(wallet.address, nonce, domain="evil.example")
    response = auth_api.post(LINK, {"message": message, "signature": sign(wallet, message)})
    assert_error(response, 422, "siwe_domain_mismatch")
    message = hand_built(wallet.address, nonce, uri="https://evil.example")
    response = auth_api.post(LINK, {"message": message, "signature": sign(wallet, message)})
    assert_error(response, 422, "siwe_uri_mismatch")
    user.refresh_from_db()
    assert user.wallet_address is None
    assert WalletNonce.objects.get().used_at is None


def test_wrong_chain_id_is_refused(auth_api: Any, user: User, wallet: LocalAccount) -> None:
    nonce = challenge(auth_api, wallet.address)["nonce"]
    message = hand_built(wallet.address, nonce, chain_id=1)
    response = auth_api.post(LINK, {"message": message, "signature": sign(wallet, message)})
    assert_error(response, 422, "siwe_chain_mismatch")
    user.refresh_from_db()
    assert user.wallet_address is None


def test_hand_built_message_with_a_valid_nonce_is_refused(
    auth_api: Any, user: User, wallet: LocalAccount
) -> None:
    """Only the exact text the server issued with the nonce is accepted."""
    nonce = challenge(auth_api, wallet.address)["nonce"]
    message = hand_built(wallet.address, nonce, minutes=60 * 24 * 365)
    response = auth_api.post(LINK, {"message": message, "signature": sign(wallet, message)})
    assert_error(response, 422, "siwe_nonce_invalid")
    user.refresh_from_db()
    assert user.wallet_address is None


def test_signature_by_another_key_is_refused(
    auth_api: Any, user: User, wallet: LocalAccount
) -> None:
    body = challenge(auth_api, wallet.address)
    intruder = Account.create()
    response = auth_api.post(
        LINK, {"message": body["message"], "signature": sign(intruder, body["message"])}
    )
    assert_error(response, 422, "siwe_invalid_signature")
    user.refresh_from_db()
    assert user.wallet_address is None
    assert WalletNonce.objects.get().used_at is None


def test_nonce_of_another_user_is_refused(auth_api: Any, user: User, wallet: LocalAccount) -> None:
    other, client = other_client()
    body = challenge(client, wallet.address)
    response = auth_api.post(
        LINK, {"message": body["message"], "signature": sign(wallet, body["message"])}
    )
    assert_error(response, 422, "siwe_nonce_invalid")
    user.refresh_from_db()
    other.refresh_from_db()
    assert user.wallet_address is None
    assert other.wallet_address is None
    # the rightful owner of the nonce can still use it
    response = client.post(
        LINK, {"message": body["message"], "signature": sign(wallet, body["message"])}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "message",
    [
        "hello",
        "localhost:8000 wants you to sign in with your Ethereum account:\n0x123\n\nURI: x",
        # valid shape, but the address is not EIP-55 checksummed
        "localhost:8000 wants you to sign in with your Ethereum account:\n"
        + ANVIL_ADDRESS.lower()
        + "\n\nURI: http://localhost:8000\nVersion: 1\nChain ID: 31337\nNonce: abcdefgh1234\n"
        "Issued At: 2026-01-01T00:00:00Z",
    ],
)
def test_malformed_message_is_refused(auth_api: Any, wallet: LocalAccount, message: str) -> None:
    response = auth_api.post(LINK, {"message": message, "signature": sign(wallet, message)})
    assert_error(response, 400, "siwe_malformed")


@pytest.mark.parametrize(
    "signature",
    ["0x12", "not-hex", "0x" + "00" * 65, "0x" + "ff" * 65, "0x" + "11" * 64 + "05"],
)
def test_malformed_signature_is_refused(
    auth_api: Any, user: User, wallet: LocalAccount, signature: str
) -> None:
    body = challenge(auth_api, wallet.address)
    response = auth_api.post(LINK, {"message": body["message"], "signature": signature})
    assert_error(response, 400, "siwe_malformed")
    assert WalletNonce.objects.get().used_at is None


def test_link_requires_message_and_signature(auth_api: Any) -> None:
    body = assert_error(auth_api.post(LINK, {}), 400, "validation_error")
    assert set(body["details"]["fields"]) == {"message", "signature"}


def test_wallet_linked_to_another_user_is_a_409_and_nothing_changes(
    auth_api: Any, user: User, wallet: LocalAccount
) -> None:
    body = challenge(auth_api, wallet.address)  # before the other account links it
    other, client = other_client()
    theirs = challenge(client, wallet.address)
    assert (
        client.post(
            LINK, {"message": theirs["message"], "signature": sign(wallet, theirs["message"])}
        ).status_code
        == 200
    )
    response = auth_api.post(
        LINK, {"message": body["message"], "signature": sign(wallet, body["message"])}
    )
    assert_error(response, 409, "wallet_taken")
    user.refresh_from_db()
    other.refresh_from_db()
    assert user.wallet_address is None
    assert other.wallet_address == ANVIL_ADDRESS
    assert WalletNonce.objects.get(nonce=body["nonce"]).used_at is None


def test_unique_constraint_backs_the_409(auth_api: Any, user: User, wallet: LocalAccount) -> None:
    """Even when the pre-check misses a concurrent link, the database refuses a second owner."""
    body = challenge(auth_api, wallet.address)
    User.objects.create_user("racer@example.com", PASSWORD, wallet_address=ANVIL_ADDRESS)
    with mock.patch("accounts.services.user_get_by_wallet_address", return_value=None):
        response = auth_api.post(
            LINK, {"message": body["message"], "signature": sign(wallet, body["message"])}
        )
    assert_error(response, 409, "wallet_taken")
    user.refresh_from_db()
    assert user.wallet_address is None
    assert WalletNonce.objects.get(nonce=body["nonce"]).used_at is None


def test_unauthenticated_client_cannot_link_with_a_valid_signature(
    auth_api: Any, wallet: LocalAccount
) -> None:
    body = challenge(auth_api, wallet.address)
    anonymous = SchemaCheckedClient()
    response = anonymous.post(
        LINK, {"message": body["message"], "signature": sign(wallet, body["message"])}
    )
    assert_error(response, 401, "not_authenticated")
    assert WalletNonce.objects.get().used_at is None


def test_nonce_requests_are_throttled_per_user(auth_api: Any) -> None:
    from django.conf import settings

    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["wallet_nonce"].split("/")[0])
    for _ in range(limit):
        assert auth_api.post(NONCE, {"address": ANVIL_ADDRESS}).status_code == 201
    response = auth_api.post(NONCE, {"address": ANVIL_ADDRESS})
    assert_error(response, 429, "throttled")
    assert WalletNonce.objects.count() == limit
