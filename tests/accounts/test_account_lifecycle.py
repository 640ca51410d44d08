"""Email verification, email change, account deletion and wallet unlink (issue 12)."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from payments.models import Order
from tests.conftest import PASSWORD, verify_email_from_outbox
from tests.factories import make_batch, make_order, make_song
from trackpacks.models import Batch, Withdrawal

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
VERIFY = "/api/v1/auth/email/verify/"
RESEND = "/api/v1/auth/email/verify/resend/"
CHANGE = "/api/v1/auth/email/change/"
DELETE = "/api/v1/auth/me/delete/"
UNLINK = "/api/v1/auth/wallet/unlink/"
LOGIN = "/api/v1/auth/login/"


def _register(api: Any, email: str = "new@example.com") -> dict[str, Any]:
    response = api.post("/api/v1/auth/register/", {"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.content
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return dict(response.json())


def test_registration_mails_a_link_that_verifies_the_address(api: Any) -> None:
    body = _register(api)
    assert body["user"]["email_verified"] is False
    verified = verify_email_from_outbox(api, "new@example.com")
    assert verified.status_code == 200, verified.content
    assert verified.json()["email_verified"] is True
    assert verify_email_from_outbox(api, "new@example.com").status_code == 200  # no-op twice
    assert api.get(ME).json()["email_verified"] is True


@pytest.mark.parametrize("token", ["garbage", "a" * 300, ""])
def test_a_bad_token_is_refused(api: Any, token: str) -> None:
    response = api.post(VERIFY, {"token": token})
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid_email_token", "validation_error"}


def test_an_expired_link_is_refused(api: Any, settings: Any) -> None:
    _register(api)
    with freeze_time(
        timezone.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT_SECONDS + 5)
    ):
        response = verify_email_from_outbox(api, "new@example.com")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_email_token"
    assert User.objects.get(email="new@example.com").email_verified_at is None


def test_resend_mails_again_and_refuses_when_verified(api: Any) -> None:
    _register(api)
    before = len(mail.outbox)
    assert api.post(RESEND).status_code == 202
    assert len(mail.outbox) == before + 1
    verify_email_from_outbox(api, "new@example.com")
    response = api.post(RESEND)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_already_verified"


def test_an_unverified_account_cannot_order_by_card_and_nothing_is_reserved(
    api: Any, settings: Any
) -> None:
    _register(api)
    batch = make_batch(supply=5)
    body = {"batch": batch.pk, "quantity": 1, "method": "card"}
    response = api.post("/api/v1/orders/", body, HTTP_IDEMPOTENCY_KEY="unverified-card-1")
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "email_not_verified"
    batch.refresh_from_db()
    assert batch.available == 5
    assert not Order.objects.exists()


def test_an_email_change_takes_effect_only_through_the_new_address(
    auth_api: Any, user: User
) -> None:
    wrong = auth_api.post(CHANGE, {"new_email": "moved@example.com", "password": "nope"})
    assert wrong.status_code == 400
    response = auth_api.post(CHANGE, {"new_email": "Moved@Example.com", "password": PASSWORD})
    assert response.status_code == 202, response.content
    assert response.json()["pending_email"] == "moved@example.com"
    assert response.json()["email"] == "fan@example.com"  # unchanged until confirmed
    confirmed = verify_email_from_outbox(auth_api, "moved@example.com")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["email"] == "moved@example.com"
    assert confirmed.json()["pending_email"] == ""
    assert (
        auth_api.post(LOGIN, {"email": "moved@example.com", "password": PASSWORD}).status_code
        == 200
    )
    assert (
        auth_api.post(LOGIN, {"email": "fan@example.com", "password": PASSWORD}).status_code == 401
    )
    # The link is spent: the account's email is no longer the one it was issued for.
    assert verify_email_from_outbox(auth_api, "moved@example.com").status_code == 400


def test_a_newer_change_request_voids_the_older_link(auth_api: Any, user: User) -> None:
    auth_api.post(CHANGE, {"new_email": "first@example.com", "password": PASSWORD})
    auth_api.post(CHANGE, {"new_email": "second@example.com", "password": PASSWORD})
    assert verify_email_from_outbox(auth_api, "first@example.com").status_code == 400
    assert verify_email_from_outbox(auth_api, "second@example.com").status_code == 200
    user.refresh_from_db()
    assert user.email == "second@example.com"


def test_an_email_change_to_a_taken_address_is_a_conflict(auth_api: Any) -> None:
    User.objects.create_user("taken@example.com", PASSWORD)
    response = auth_api.post(CHANGE, {"new_email": "taken@example.com", "password": PASSWORD})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


def test_deleting_the_account_anonymises_it_and_keeps_the_orders(
    auth_api: Any, user: User, tokens: dict[str, str]
) -> None:
    batch = make_batch()
    order = make_order(user=user, batch=batch, status="fulfilled")
    assert auth_api.post(DELETE, {"password": "wrong-password"}).status_code == 400
    response = auth_api.post(DELETE, {"password": PASSWORD})
    assert response.status_code == 204, response.content
    user.refresh_from_db()
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert (user.display_name, user.is_active, user.wallet_address) == ("", False, None)
    assert not user.has_usable_password()
    assert Order.objects.get(pk=order.pk).user_id == user.pk
    assert (
        auth_api.post(LOGIN, {"email": "fan@example.com", "password": PASSWORD}).status_code == 401
    )
    assert auth_api.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
    assert auth_api.get(ME).status_code == 401


def test_an_account_with_an_order_in_flight_cannot_be_deleted(auth_api: Any, user: User) -> None:
    make_order(user=user, batch=make_batch())  # pending
    response = auth_api.post(DELETE, {"password": PASSWORD})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "account_busy"
    user.refresh_from_db()
    assert user.is_active


def test_the_email_of_a_deleted_account_can_register_again(auth_api: Any, api: Any) -> None:
    assert auth_api.post(DELETE, {"password": PASSWORD}).status_code == 204
    api.credentials()
    assert (
        api.post(
            "/api/v1/auth/register/", {"email": "fan@example.com", "password": PASSWORD}
        ).status_code
        == 201
    )


def test_unlinking_the_wallet(auth_api: Any, user: User) -> None:
    User.objects.filter(pk=user.pk).update(wallet_address="0x" + "ab" * 20)
    response = auth_api.post(UNLINK)
    assert response.status_code == 200, response.content
    assert response.json()["wallet_address"] is None
    assert auth_api.post(UNLINK).status_code == 200  # nothing to unlink: unchanged


def test_a_wallet_with_a_withdrawal_on_its_way_stays_linked(auth_api: Any, user: User) -> None:
    wallet = "0x" + "cd" * 20
    User.objects.filter(pk=user.pk).update(wallet_address=wallet)
    Withdrawal.objects.create(
        user=user, song=make_song(), amount=1, from_address="0x" + "ef" * 20, to_address=wallet
    )
    response = auth_api.post(UNLINK)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "withdrawal_pending"
    user.refresh_from_db()
    assert user.wallet_address == wallet
    assert Batch.objects.count() == 0
