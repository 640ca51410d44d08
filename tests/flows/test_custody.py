"""Custodial packs: opened by the operator for the fan, songs withdrawn to the linked wallet."""

import secrets
import threading
from typing import Any

import pytest
from django.db import connection, transaction

from chain.client import trackpacks_contract
from chain.outbox import chain_tx_enqueue
from tests.conftest import SchemaCheckedClient
from tests.flows.conftest import Fan, run_background
from trackpacks.models import Batch, Custody, Pack, Withdrawal, WithdrawalStatus
from trackpacks.services import packs_issue

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def give_custodial_packs(fan: Fan, batch: Batch, quantity: int) -> list[Pack]:
    """What a paid card order does: mint to the custodial wallet and record the packs."""
    address = fan.user.custodial_address
    assert address is not None
    with transaction.atomic():
        chain_tx_enqueue(
            sender_role="minter",
            function="mintPacks",
            args=[fan.user.pk, batch.pk, quantity, "0x" + secrets.token_hex(32)],
            reference=f"test:mint:{secrets.token_hex(4)}",
        )
        packs = packs_issue(
            owner=fan.user,
            batch=batch,
            quantity=quantity,
            custody=Custody.CUSTODIAL,
            holder_address=address,
            order=None,
        )
    run_background()
    return packs


def open_custodial(fan: Fan, pack: Pack) -> dict[str, Any]:
    response = fan.api.post(f"/api/v1/packs/{pack.pk}/open/")
    assert response.status_code == 202, response.content
    assert response.json()["wallet_call"] is None  # the backend sends openPackFor itself
    run_background()
    body: dict[str, Any] = fan.api.get(f"/api/v1/packs/{pack.pk}/").json()
    return body


def test_open_custodial_pack_then_withdraw_a_song(fan: Fan, catalog: Batch) -> None:
    contract = trackpacks_contract()
    custodial = fan.user.custodial_address
    [pack] = give_custodial_packs(fan, catalog, 1)
    assert contract.functions.balanceOf(custodial, catalog.pack_token_id).call() == 1

    opened = open_custodial(fan, pack)
    assert opened["status"] == "opened"
    assert len(opened["songs"]) == 5

    collection = fan.api.get("/api/v1/collection/").json()["results"]
    assert {item["custody"] for item in collection} == {"custodial"}
    for item in collection:
        assert (
            item["balance"] == contract.functions.balanceOf(custodial, int(item["token_id"])).call()
        )

    token_id = collection[0]["token_id"]
    held = collection[0]["balance"]
    response = fan.api.post("/api/v1/collection/withdraw/", {"token_id": token_id, "amount": 1})
    assert response.status_code == 202, response.content
    withdrawal = response.json()
    assert withdrawal["status"] == "pending"
    assert withdrawal["to_address"] == fan.wallet.address

    run_background()
    tracked = fan.api.get(f"/api/v1/collection/withdrawals/{withdrawal['id']}/").json()
    assert tracked["status"] == "completed"
    assert contract.functions.balanceOf(fan.wallet.address, int(token_id)).call() == 1
    assert contract.functions.balanceOf(custodial, int(token_id)).call() == held - 1
    after = {
        (i["token_id"], i["custody"]): i["balance"]
        for i in fan.api.get("/api/v1/collection/").json()["results"]
    }
    assert after[(token_id, "self")] == 1
    assert after.get((token_id, "custodial"), 0) == held - 1


def test_withdrawing_more_than_held_is_refused(fan: Fan, catalog: Batch) -> None:
    [pack] = give_custodial_packs(fan, catalog, 1)
    open_custodial(fan, pack)
    item = fan.api.get("/api/v1/collection/").json()["results"][0]
    response = fan.api.post(
        "/api/v1/collection/withdraw/",
        {"token_id": item["token_id"], "amount": item["balance"] + 1},
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "insufficient_balance"
    assert body["details"]["available"] == item["balance"]
    assert not Withdrawal.objects.exists()


def test_withdrawals_are_scoped_to_their_owner(fan: Fan, catalog: Batch) -> None:
    [pack] = give_custodial_packs(fan, catalog, 1)
    open_custodial(fan, pack)
    item = fan.api.get("/api/v1/collection/").json()["results"][0]
    withdrawal = fan.api.post(
        "/api/v1/collection/withdraw/", {"token_id": item["token_id"], "amount": 1}
    ).json()
    stranger = SchemaCheckedClient()
    body = stranger.post(
        "/api/v1/auth/register/",
        {"email": "x@example.com", "password": "correct-horse-battery-staple"},
    ).json()
    stranger.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert stranger.get(f"/api/v1/collection/withdrawals/{withdrawal['id']}/").status_code == 404
    assert stranger.get("/api/v1/collection/withdrawals/").json()["count"] == 0
    assert stranger.get("/api/v1/collection/").json()["results"] == []


def test_a_pending_withdrawal_holds_its_amount(fan: Fan, catalog: Batch) -> None:
    [pack] = give_custodial_packs(fan, catalog, 1)
    open_custodial(fan, pack)
    item = fan.api.get("/api/v1/collection/").json()["results"][0]
    first = fan.api.post(
        "/api/v1/collection/withdraw/", {"token_id": item["token_id"], "amount": item["balance"]}
    )
    assert first.status_code == 202
    second = fan.api.post(
        "/api/v1/collection/withdraw/", {"token_id": item["token_id"], "amount": 1}
    )
    assert second.status_code == 422
    assert second.json()["error"]["details"]["available"] == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_never_exceed_the_balance(fan: Fan, catalog: Batch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks for real concurrency (SQLite serialises writes)")
    packs = give_custodial_packs(fan, catalog, 2)
    for pack in packs:
        open_custodial(fan, pack)
    items = fan.api.get("/api/v1/collection/").json()["results"]
    item = max(items, key=lambda i: i["balance"])
    token = fan.api._credentials["HTTP_AUTHORIZATION"]  # type: ignore[attr-defined]
    statuses: list[int] = []

    def withdraw_one() -> None:
        client = SchemaCheckedClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        try:
            response = client.post(
                "/api/v1/collection/withdraw/", {"token_id": item["token_id"], "amount": 1}
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw_one) for _ in range(item["balance"] + 8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(202) == item["balance"]
    assert statuses.count(422) == 8
    pending = Withdrawal.objects.filter(status=WithdrawalStatus.PENDING)
    assert sum(w.amount for w in pending) == item["balance"]
