"""OWASP API1:2023 broken object-level authorization: every object lookup is scoped to the
caller. Another user asking for the fan's order, pack, collection or withdrawal by id gets a
404 (the same as a missing id, so ids cannot be probed) and nothing changes.

Builds on tests/flows/test_crypto_purchase.py::test_someone_elses_order_is_404 and
tests/flows/test_custody.py::test_withdrawals_are_scoped_to_their_owner with every object and
action at once, and checks the state afterwards."""

from typing import Any

import pytest

from chain.models import ChainTransaction
from payments.models import Order
from tests.conftest import SchemaCheckedClient
from tests.security.conftest import World, anvil_account, register_and_link
from trackpacks.models import Pack, PackStatus, Withdrawal

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


@pytest.fixture
def intruder(world: World) -> Any:
    """A second fan with their own linked wallet and nothing else."""
    return register_and_link(
        SchemaCheckedClient(), email="intruder@example.com", wallet=anvil_account(6)
    )


def _state() -> dict[str, Any]:
    return {
        "orders": list(Order.objects.order_by("pk").values("pk", "user_id", "status", "tx_hash")),
        "packs": list(Pack.objects.order_by("pk").values("pk", "owner_id", "status", "custody")),
        "withdrawals": list(Withdrawal.objects.order_by("pk").values()),
        "chain_txs": ChainTransaction.objects.count(),
    }


def test_another_users_objects_are_404_and_nothing_changes(world: World, intruder: Any) -> None:
    ids = world.ids
    before = _state()
    assert Pack.objects.get(pk=ids["packs"]).status == PackStatus.UNOPENED
    api = intruder.api

    reads = [
        f"/api/v1/orders/{ids['orders']}/",
        f"/api/v1/packs/{ids['packs']}/",
        f"/api/v1/collection/withdrawals/{ids['withdrawals']}/",
    ]
    for path in reads:
        assert api.get(path).status_code == 404, path
    writes = [
        (f"/api/v1/packs/{ids['packs']}/open/", {}),
        (f"/api/v1/orders/{ids['orders']}/crypto-tx/", {"tx_hash": "0x" + "11" * 32}),
    ]
    for path, body in writes:
        assert api.post(path, body).status_code == 404, path

    for path in ["/api/v1/orders/", "/api/v1/packs/", "/api/v1/collection/withdrawals/"]:
        assert api.get(path).json()["count"] == 0, path
    assert api.get("/api/v1/collection/").json()["results"] == []

    # The fan's songs are not the intruder's to withdraw, whatever token id they name.
    song = world.fan.api.get("/api/v1/collection/").json()["results"][0]
    refused = api.post("/api/v1/collection/withdraw/", {"token_id": song["token_id"], "amount": 1})
    assert refused.status_code == 422

    assert _state() == before


def test_the_owner_still_sees_them(world: World) -> None:
    """The same requests by the owner succeed, so the 404s above are about ownership."""
    ids = world.ids
    api = world.fan.api
    assert api.get(f"/api/v1/orders/{ids['orders']}/").status_code == 200
    assert api.get(f"/api/v1/packs/{ids['packs']}/").status_code == 200
    assert api.get(f"/api/v1/collection/withdrawals/{ids['withdrawals']}/").status_code == 200
    assert api.get("/api/v1/collection/").json()["results"] != []
    assert api.post(f"/api/v1/packs/{ids['packs']}/open/").status_code == 202


def test_a_missing_id_and_someone_elses_id_look_the_same(world: World, intruder: Any) -> None:
    for resource in ["orders", "packs", "collection/withdrawals"]:
        key = resource.split("/")[-1]
        theirs = intruder.api.get(f"/api/v1/{resource}/{world.ids[key]}/")
        missing = intruder.api.get(f"/api/v1/{resource}/987654321/")
        assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json())
