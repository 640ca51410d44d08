"""OWASP API3:2023 broken object property level authorization (mass assignment): price, status,
owner, custody, amounts, wallets and staff flags in request bodies never change state. Input
serializers name the fields they take; everything else is ignored.

Extends tests/accounts/test_auth_api.py::test_me_patch_changes_display_name_only and
tests/accounts/test_wallet_link.py::test_wallet_address_is_read_only_on_me to every privileged
field and to register, order creation, withdrawal and pack opening."""

import uuid
from typing import Any

import pytest

from accounts.models import User
from chain.custody import custodial_address
from payments.models import Order, OrderStatus
from tests.conftest import PASSWORD, SchemaCheckedClient
from tests.security.conftest import World
from trackpacks.models import Custody, Pack, Withdrawal

pytestmark = pytest.mark.django_db

ATTACKER = "0x" + "be" * 20
PRIVILEGED_USER_FIELDS = {
    "is_staff": True,
    "is_superuser": True,
    "is_active": False,
    "email": "owned@example.com",
    "id": 4242,
    "pk": 4242,
    "password": "new-password-set-by-patch",
    "wallet_address": ATTACKER,
    "custodial_address": ATTACKER,
    "custodial_wallet_address": ATTACKER,
    "date_joined": "2000-01-01T00:00:00Z",
    "groups": [1],
    "user_permissions": [1],
}


def test_register_ignores_privileged_fields(api: SchemaCheckedClient) -> None:
    body = {**PRIVILEGED_USER_FIELDS, "email": "new@example.com", "password": PASSWORD}
    response = api.post("/api/v1/auth/register/", body)
    assert response.status_code == 201, response.content
    user = User.objects.get(email="new@example.com")
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert user.wallet_address is None
    assert user.custodial_address == custodial_address(user_id=user.pk)  # derived, or None
    assert user.pk != 4242
    assert user.check_password(PASSWORD)
    assert not user.groups.exists()
    assert not user.user_permissions.exists()


def test_me_patch_changes_nothing_but_the_display_name(auth_api: Any, user: User) -> None:
    before: dict[str, Any] = dict(User.objects.filter(pk=user.pk).values().get())
    response = auth_api.patch("/api/v1/auth/me/", {"display_name": "New", **PRIVILEGED_USER_FIELDS})
    assert response.status_code == 200, response.content
    after: dict[str, Any] = dict(User.objects.filter(pk=user.pk).values().get())
    assert after.pop("display_name") == "New"
    before.pop("display_name")
    assert after == before
    assert response.json()["email"] == user.email


@pytest.mark.chain
def test_order_create_ignores_price_status_owner_and_custody(world: World) -> None:
    fan = world.fan
    victim = User.objects.create_user("victim@example.com", PASSWORD)
    batch_id = world.ids["batches"]
    body = {
        "batch": batch_id,
        "quantity": 2,
        "method": "crypto",
        "status": OrderStatus.PAID,
        "amount_cents": 1,
        "amount_wei": "1",
        "price": {"amount_cents": 1, "amount_wei": "1"},
        "price_cents": 1,
        "price_wei": 1,
        "currency": "xxx",
        "user": victim.pk,
        "owner": victim.pk,
        "payer_address": ATTACKER,
        "custody": Custody.SELF,
        "order_ref": "0x" + "00" * 32,
        "paid_at": "2000-01-01T00:00:00Z",
    }
    response = fan.api.post("/api/v1/orders/", body, HTTP_IDEMPOTENCY_KEY=f"mass-{uuid.uuid4()}")
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    batch = order.batch
    assert order.user == fan.user
    assert order.status == OrderStatus.PENDING
    assert order.paid_at is None
    assert (order.amount_cents, order.amount_wei) == (2 * batch.price_cents, 2 * batch.price_wei)
    assert order.currency == batch.currency
    assert order.order_ref != body["order_ref"]
    assert order.payer_address != ATTACKER
    assert response.json()["payment"]["crypto"]["value_wei"] == str(2 * batch.price_wei)
    assert not victim.orders.exists()


@pytest.mark.chain
def test_withdraw_goes_to_the_linked_wallet_whatever_the_body_says(world: World) -> None:
    fan = world.fan
    collection = fan.api.get("/api/v1/collection/").json()["results"]
    item = next(i for i in collection if i["custody"] == "custodial")
    victim = User.objects.create_user("victim@example.com", PASSWORD)
    body = {
        "token_id": item["token_id"],
        "amount": 1,
        "to_address": ATTACKER,
        "from_address": victim.custodial_address,
        "user": victim.pk,
        "status": "completed",
        "tx_hash": "0x" + "11" * 32,
    }
    response = fan.api.post("/api/v1/collection/withdraw/", body)
    assert response.status_code == 202, response.content
    withdrawal = Withdrawal.objects.get(pk=response.json()["id"])
    assert withdrawal.user == fan.user
    assert withdrawal.to_address == fan.wallet.address
    assert withdrawal.from_address == fan.user.custodial_address
    assert withdrawal.status == "pending"
    assert withdrawal.tx_hash == ""


@pytest.mark.chain
def test_pack_open_body_cannot_change_custody_or_owner(world: World) -> None:
    fan = world.fan
    victim = User.objects.create_user("victim@example.com", PASSWORD)
    pack_id = world.ids["packs"]
    body = {"custody": "self", "owner": victim.pk, "holder_address": ATTACKER, "status": "opened"}
    response = fan.api.post(f"/api/v1/packs/{pack_id}/open/", body)
    assert response.status_code == 202, response.content
    pack = Pack.objects.get(pk=pack_id)
    assert (pack.owner, pack.custody, pack.status) == (fan.user, Custody.CUSTODIAL, "opening")
    assert pack.holder_address == fan.user.custodial_address
