"""Crypto purchase and opening, end to end over HTTP against anvil with the real contract."""

import secrets
import uuid
from typing import Any

import pytest
from django.conf import settings

from chain.client import trackpacks_contract
from payments.models import Order, OrderStatus
from tests.chain_fixtures import rpc
from tests.flows.conftest import Fan, anvil_account, register_and_link, run_background, send_from
from trackpacks.models import PACK_ID_OFFSET, Batch, PackStatus

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def create_order(fan: Fan, batch: Batch, quantity: int = 1, key: str | None = None) -> Any:
    return fan.api.post(
        "/api/v1/orders/",
        {"batch": batch.pk, "quantity": quantity, "method": "crypto"},
        HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex,
    )


def pay(fan: Fan, order: dict[str, Any], *, account: Any = None, value: int | None = None) -> str:
    crypto = order["payment"]["crypto"]
    return send_from(
        account or fan.wallet,
        to=crypto["contract_address"],
        data=crypto["data"],
        value=int(crypto["value_wei"]) if value is None else value,
    )


def test_buy_open_and_collect(fan: Fan, catalog: Batch) -> None:
    created = create_order(fan, catalog, quantity=2)
    assert created.status_code == 201, created.content
    order = created.json()
    crypto = order["payment"]["crypto"]
    assert crypto["value_wei"] == str(2 * 10**16)
    assert crypto["chain_id"] == 31337
    catalog.refresh_from_db()
    assert catalog.available == 18  # reserved at once

    pay(fan, order)
    run_background()  # the indexer settles the order from the confirmed event
    settled = fan.api.get(f"/api/v1/orders/{order['id']}/").json()
    assert settled["status"] == "fulfilled"
    assert settled["payment"] is None

    packs = fan.api.get("/api/v1/packs/").json()["results"]
    assert len(packs) == 2
    assert {p["custody"] for p in packs} == {"self"}
    contract = trackpacks_contract()
    assert contract.functions.balanceOf(fan.wallet.address, PACK_ID_OFFSET + catalog.pk).call() == 2

    opened = fan.api.post(f"/api/v1/packs/{packs[0]['id']}/open/")
    assert opened.status_code == 202, opened.content
    # Only the wallet can open it: the pack stays unopened and shows the call it awaits.
    assert opened.json()["pack"]["status"] == "unopened"
    call = opened.json()["wallet_call"]
    assert call["function"] == "openPack"
    detail = fan.api.get(f"/api/v1/packs/{packs[0]['id']}/").json()
    assert detail["open_intent"]["action"] == "open"
    assert detail["open_intent"]["wallet_call"] == call  # re-fetchable from the pack
    send_from(fan.wallet, to=call["to"], data=call["data"])

    run_background()
    assert fan.api.post(f"/api/v1/packs/{packs[0]['id']}/open/").status_code == 409
    pack = fan.api.get(f"/api/v1/packs/{packs[0]['id']}/").json()
    assert pack["status"] == PackStatus.OPENED
    assert len(pack["songs"]) == 5
    assert contract.functions.balanceOf(fan.wallet.address, PACK_ID_OFFSET + catalog.pk).call() == 1

    collection = fan.api.get("/api/v1/collection/").json()["results"]
    assert sum(item["balance"] for item in collection) == 5
    for item in collection:
        assert item["custody"] == "self"
        on_chain = contract.functions.balanceOf(fan.wallet.address, int(item["token_id"])).call()
        assert item["balance"] == on_chain


def test_crypto_tx_endpoint_settles_at_once(fan: Fan, catalog: Batch) -> None:
    order = create_order(fan, catalog).json()
    tx_hash = pay(fan, order)
    response = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": tx_hash})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "fulfilled"
    # Submitting it again, and the indexer seeing it later, change nothing.
    again = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": tx_hash})
    assert again.status_code == 200
    run_background()
    assert fan.user.packs.count() == 1


def test_idempotency_key_replays_and_refuses_other_bodies(fan: Fan, catalog: Batch) -> None:
    first = create_order(fan, catalog, key="order-key-0001")
    replay = create_order(fan, catalog, key="order-key-0001")
    assert replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    other = create_order(fan, catalog, quantity=3, key="order-key-0001")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    missing = fan.api.post(
        "/api/v1/orders/", {"batch": catalog.pk, "quantity": 1, "method": "crypto"}
    )
    assert missing.status_code == 400


def test_a_strangers_purchase_with_the_orders_ref_is_ignored(fan: Fan, catalog: Batch) -> None:
    """Adversary: anyone can copy an order's reference (it is in the wallet call) into their
    own `buyPacks`. Only the order's linked wallet settles it; the stranger's purchase
    neither settles nor flags nor blocks the order."""
    order = create_order(fan, catalog).json()
    tx_hash = pay(fan, order, account=anvil_account(6))
    response = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": tx_hash})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_payer"
    run_background()  # the indexer sees it too: ignored
    stored = Order.objects.get(pk=order["id"])
    assert (stored.status, stored.status_reason, stored.tx_hash) == (OrderStatus.PENDING, "", "")
    assert fan.user.packs.count() == 0

    mine = pay(fan, order)  # the reference is still free for the buyer
    response = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": mine})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "fulfilled"
    assert fan.user.packs.count() == 1


def test_wrong_amount_reverts_on_chain_and_is_refused(fan: Fan, catalog: Batch) -> None:
    order = create_order(fan, catalog).json()
    tx_hash = pay(fan, order, value=10**16 - 1)
    response = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": tx_hash})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "tx_failed"
    assert Order.objects.get(pk=order["id"]).status == OrderStatus.PENDING


def test_wrong_quantity_is_flagged(fan: Fan, catalog: Batch) -> None:
    order = create_order(fan, catalog).json()
    data = trackpacks_contract().encode_abi("buyPacks", args=[catalog.pk, 2, order["order_ref"]])
    tx_hash = send_from(
        fan.wallet, to=order["payment"]["crypto"]["contract_address"], data=data, value=2 * 10**16
    )
    response = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": tx_hash})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_quantity"


def test_unknown_and_reused_order_refs(fan: Fan, catalog: Batch) -> None:
    order = create_order(fan, catalog).json()
    contract_address = order["payment"]["crypto"]["contract_address"]
    stranger_ref = "0x" + secrets.token_hex(32)
    data = trackpacks_contract().encode_abi("buyPacks", args=[catalog.pk, 1, stranger_ref])
    tx_hash = send_from(fan.wallet, to=contract_address, data=data, value=10**16)
    response = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": tx_hash})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "order_ref_mismatch"
    run_background()  # the indexer sees a purchase for no order: recorded, nothing settled
    assert Order.objects.get(pk=order["id"]).status == OrderStatus.PENDING

    pay(fan, order)
    # Buyer references are not stored on chain (nobody can block one), so paying twice buys
    # twice on chain; the order is settled once.
    again = pay(fan, order)
    response = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": again})
    assert response.status_code == 200
    run_background()
    assert fan.user.packs.count() == 1
    assert Order.objects.get(pk=order["id"]).status == OrderStatus.FULFILLED


def test_transaction_to_another_contract_is_refused(fan: Fan, catalog: Batch) -> None:
    order = create_order(fan, catalog).json()
    tx_hash = send_from(fan.wallet, to=anvil_account(7).address, value=10**16)
    response = fan.api.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": tx_hash})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "tx_wrong_contract"


def test_crypto_order_needs_a_linked_wallet(api: Any, catalog: Batch) -> None:
    response = api.post(
        "/api/v1/auth/register/",
        {"email": "nowallet@example.com", "password": "correct-horse-battery-staple"},
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    response = api.post(
        "/api/v1/orders/",
        {"batch": catalog.pk, "quantity": 1, "method": "crypto"},
        HTTP_IDEMPOTENCY_KEY="no-wallet-key-1",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wallet_required"


def test_someone_elses_order_is_404(fan: Fan, catalog: Batch, api: Any) -> None:
    order = create_order(fan, catalog).json()
    other = register_and_link(type(fan.api)(), email="other@example.com", wallet=anvil_account(5))
    assert other.api.get(f"/api/v1/orders/{order['id']}/").status_code == 404
    response = other.api.post(
        f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": "0x" + "00" * 32}
    )
    assert response.status_code == 404


def test_unpaid_reservations_expire_and_return_inventory(fan: Fan, catalog: Batch) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from payments.services import orders_expire_due

    order = create_order(fan, catalog, quantity=3).json()
    Order.objects.filter(pk=order["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert orders_expire_due() == 1
    catalog.refresh_from_db()
    assert catalog.available == 20
    assert fan.api.get(f"/api/v1/orders/{order['id']}/").json()["status"] == "expired"


def test_a_reorg_that_drops_an_opening_puts_the_pack_back(fan: Fan, catalog: Batch) -> None:
    contract = trackpacks_contract()
    order = create_order(fan, catalog).json()
    pay(fan, order)
    run_background()
    [pack] = fan.api.get("/api/v1/packs/").json()["results"]
    fork_point = rpc(fan_chain_url(), "evm_snapshot")

    call = fan.api.post(f"/api/v1/packs/{pack['id']}/open/").json()["wallet_call"]
    send_from(fan.wallet, to=call["to"], data=call["data"])
    run_background()
    assert fan.api.get(f"/api/v1/packs/{pack['id']}/").json()["status"] == "opened"

    # The blocks with the open request and the reveal are replaced by a longer empty branch.
    rpc(fan_chain_url(), "evm_revert", [fork_point])
    rpc(fan_chain_url(), "anvil_mine", [hex(10)])
    run_background()

    after = fan.api.get(f"/api/v1/packs/{pack['id']}/").json()
    assert (after["status"], after["songs"]) == ("unopened", [])
    assert contract.functions.balanceOf(fan.wallet.address, catalog.pack_token_id).call() == 1
    assert fan.api.get("/api/v1/collection/").json()["results"] == []


def fan_chain_url() -> str:
    return str(settings.CHAIN_RPC_URL)


def test_a_payment_after_the_reservation_expired_still_settles(fan: Fan, catalog: Batch) -> None:
    """The chain took the money and minted the packs: the order is fulfilled and its packs
    leave the inventory again."""
    from datetime import timedelta

    from django.utils import timezone

    from payments.services import orders_expire_due

    order = create_order(fan, catalog, quantity=2).json()
    Order.objects.filter(pk=order["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert orders_expire_due() == 1
    catalog.refresh_from_db()
    assert catalog.available == 20

    pay(fan, order)
    run_background()
    assert fan.api.get(f"/api/v1/orders/{order['id']}/").json()["status"] == "fulfilled"
    assert fan.user.packs.count() == 2
    catalog.refresh_from_db()
    assert catalog.available == 18
