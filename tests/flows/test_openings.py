"""Openings on anvil: verifiable (proof endpoint, `verify_opening`), recoverable (stuck ->
retryOpen, a late fulfilment of the voided request changes nothing), idempotent operator
calls (opRef) and self-custody opening intents."""

import logging
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from web3 import Web3
from web3.exceptions import ContractCustomError

from chain.client import coordinator_contract, get_web3, trackpacks_contract
from chain.config import SenderRole, signer_account
from chain.custody import operation_ref
from chain.indexer import indexer_process_once
from chain.models import ChainEvent, ChainTransaction
from chain.outbox import outbox_process_once
from tests.chain_fixtures import anvil_settle, rpc
from tests.flows.conftest import Fan, run_background, send_from
from tests.flows.test_custody import give_custodial_packs, open_custodial
from trackpacks.draw import draw_songs
from trackpacks.models import (
    Batch,
    Custody,
    Opening,
    Pack,
    PackStatus,
    PoolEntry,
    RevealedSong,
    Song,
)
from trackpacks.services import openings_retry_stuck, packs_issue

pytestmark = [pytest.mark.chain, pytest.mark.django_db]

DAY = 24 * 3600


def opened_custodial_pack(fan: Fan, catalog: Batch) -> dict[str, Any]:
    [pack] = give_custodial_packs(fan, catalog, 1)
    body = open_custodial(fan, pack)
    assert body["status"] == "opened", body
    return body


# --------------------------------------------------------------------------- verifiable


def test_proof_endpoint_recomputes_the_draw(fan: Fan, catalog: Batch, api: Any) -> None:
    pack = opened_custodial_pack(fan, catalog)
    api.credentials()  # public: no token
    proof = api.get(f"/api/v1/openings/{pack['opening_id']}/proof/")
    assert proof.status_code == 200, proof.content
    body = proof.json()
    assert body["matches"] is True
    assert body["revealed"] == [song["token_id"] for song in pack["songs"]]
    assert body["recomputed"] == body["revealed"]
    assert len(set(body["revealed"])) == 5  # five different songs
    word = int(body["random_word"])
    # The pool as the contract holds it, and the contract's own draw for that word.
    ids, weights = trackpacks_contract().functions.batchPool(catalog.pk).call()
    assert [p["token_id"] for p in body["pool"]] == [str(i) for i in ids]  # uint256: strings
    assert [p["weight"] for p in body["pool"]] == list(weights)
    assert body["total_weight"] == sum(weights)
    on_chain = trackpacks_contract().functions.drawSongs(catalog.pk, word).call()
    assert body["recomputed"] == [str(i) for i in on_chain]
    opened = ChainEvent.objects.get(event_name="PackOpened")
    assert body["fulfilled_tx_hash"] == opened.tx_hash
    assert body["request_id"] == str(opened.args["requestId"])
    requested = ChainEvent.objects.get(event_name="PackOpenRequested")
    assert body["requested_tx_hash"] == requested.tx_hash
    # The pool comes from the indexed BatchCreated event, not from editable rows.
    PoolEntry.objects.filter(batch=catalog).update(weight=1)
    again = api.get(f"/api/v1/openings/{pack['opening_id']}/proof/").json()
    assert (again["pool"], again["matches"]) == (body["pool"], True)


def test_proof_endpoint_refusals(fan: Fan, catalog: Batch, api: Any) -> None:
    assert api.get("/api/v1/openings/999999/proof/").status_code == 404
    [pack] = give_custodial_packs(fan, catalog, 1)
    fan.api.post(f"/api/v1/packs/{pack.pk}/open/")
    opening = Opening.objects.get(pack=pack)
    response = api.get(f"/api/v1/openings/{opening.pk}/proof/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "opening_not_revealed"


def test_python_draw_equals_the_contracts_for_many_words(fan: Fan, catalog: Batch) -> None:
    contract = trackpacks_contract().functions
    ids, weights = contract.batchPool(catalog.pk).call()
    for seed in range(40):
        word = int.from_bytes(Web3.keccak(text=f"word {seed}"), "big")
        mine = draw_songs(word=word, song_ids=ids, weights=weights)
        assert mine == list(contract.drawSongs(catalog.pk, word).call())


def verify(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_opening", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_verify_opening_from_chain_data(fan: Fan, catalog: Batch) -> None:
    pack = opened_custodial_pack(fan, catalog)
    opening = Opening.objects.get(pk=pack["opening_id"])
    code, out = verify(str(opening.pk))
    assert code == 0, out
    assert "VERIFIED" in out
    code, out = verify("--request-id", str(opening.request_id))
    assert code == 0, out
    assert str(opening.random_word) in out


def test_verify_opening_exits_non_zero_on_a_tampered_record(fan: Fan, catalog: Batch) -> None:
    """Adversary: someone edits what the backend shows a fan (a rarer song than was drawn)."""
    pack = opened_custodial_pack(fan, catalog)
    opening = Opening.objects.get(pk=pack["opening_id"])
    shown = set(opening.revealed.values_list("song__token_id", flat=True))
    other = Song.objects.exclude(token_id__in=shown).order_by("token_id").first()
    RevealedSong.objects.filter(opening=opening, position=0).update(song=other)
    code, out = verify(str(opening.pk))
    assert code == 1
    assert "MISMATCH" in out
    api_proof = fan.api.get(f"/api/v1/openings/{opening.pk}/proof/").json()
    assert api_proof["matches"] is False


def test_verify_opening_of_an_unknown_request_exits_2(fan: Fan, catalog: Batch) -> None:
    code, out = verify("--request-id", "123456789")
    assert code == 2
    assert "No PackOpened" in out
    assert verify("424242")[0] == 2


# --------------------------------------------------------------------------- idempotent ops


def test_a_resent_open_cannot_execute_twice(fan: Fan, catalog: Batch) -> None:
    """Adversary: a lagging node makes the outbox re-send a mined `openPackFor` under a new
    nonce. The call carries the opRef of its outbox reference, so the copy reverts."""
    give_custodial_packs(fan, catalog, 2)
    pack = fan.user.packs.order_by("pk").first()
    assert pack is not None
    fan.api.post(f"/api/v1/packs/{pack.pk}/open/")
    tx = ChainTransaction.objects.get(function="openPackFor")
    assert tx.args == [fan.user.pk, catalog.pk, operation_ref(tx.reference)]
    run_background()
    contract = trackpacks_contract()
    assert contract.functions.operatorRefUsed(operation_ref(tx.reference)).call()
    operator = signer_account(SenderRole.OPERATOR)
    copy = contract.functions.openPackFor(*tx.args)
    with pytest.raises(ContractCustomError) as refused:
        copy.build_transaction({"from": operator.address})  # the node's estimate reverts
    selector = Web3.keccak(text="OperatorRefAlreadyUsed(bytes32)")[:4].to_0x_hex()
    assert str(refused.value.data).startswith(selector)
    custodial = fan.user.custodial_address
    assert contract.functions.balanceOf(custodial, catalog.pack_token_id).call() == 1


# --------------------------------------------------------------------------- recoverable


def request_without_fulfilment() -> None:
    """Send and index, but do not run the local VRF fulfiller (Chainlink never answers)."""
    from django.conf import settings

    for _ in range(2):
        outbox_process_once()
        anvil_settle(settings.CHAIN_RPC_URL)  # automine answers before the block exists
        indexer_process_once()


def age_request(opening: Opening, seconds: int) -> None:
    Opening.objects.filter(pk=opening.pk).update(
        requested_at=timezone.now() - timedelta(seconds=seconds)
    )


def advance_chain_time(seconds: int) -> None:
    from django.conf import settings

    url = settings.CHAIN_RPC_URL
    rpc(url, "evm_increaseTime", [seconds])
    rpc(url, "anvil_mine", ["0x1"])


def test_stuck_custodial_opening_is_retried_once_and_old_fulfilment_ignored(
    fan: Fan, catalog: Batch, caplog: pytest.LogCaptureFixture
) -> None:
    [pack] = give_custodial_packs(fan, catalog, 1)
    fan.api.post(f"/api/v1/packs/{pack.pk}/open/")
    request_without_fulfilment()
    opening = Opening.objects.get(pack=pack)
    old_id = int(opening.request_id)
    assert opening.requested_at is not None
    assert fan.api.get(f"/api/v1/packs/{pack.pk}/").json()["status"] == "opening"

    age_request(opening, DAY + 3600)  # past CHAIN_OPEN_RETRY_AFTER_SECONDS (25 h)
    detail = fan.api.get(f"/api/v1/packs/{pack.pk}/").json()
    assert detail["status"] == "stuck"
    assert detail["open_intent"] is None  # custodial: the backend acts, not the fan
    listed = fan.api.get("/api/v1/packs/").json()["results"]
    assert [p["status"] for p in listed if p["id"] == pack.pk] == ["stuck"]
    assert fan.api.get("/api/v1/health/").json()["checks"]["openings"] == {"ok": True, "stuck": 1}

    with caplog.at_level(logging.ERROR, logger="trackpacks.services"):
        # The chain's clock has not passed OPEN_RETRY_DELAY yet: alert, but nothing queued.
        assert openings_retry_stuck() == 0
    assert any("ALERT opening" in r.getMessage() for r in caplog.records)
    advance_chain_time(DAY + 60)
    assert openings_retry_stuck() == 1
    assert openings_retry_stuck() == 0  # one retry on its way at a time
    request_without_fulfilment()

    opening.refresh_from_db()
    new_id = int(opening.request_id)
    assert new_id != old_id
    assert [r["old_request_id"] for r in opening.retries] == [str(old_id)]
    assert fan.api.get(f"/api/v1/packs/{pack.pk}/").json()["status"] == "opening"
    contract = trackpacks_contract().functions
    assert contract.openRequest(old_id).call()[3] == 3  # void
    assert contract.openRequest(new_id).call()[3] == 1  # pending

    # Chainlink answers the voided request late: nothing happens on chain or here.
    coordinator = coordinator_contract()
    fulfiller = signer_account(SenderRole.FULFILLER)
    w3 = get_web3()
    tx = coordinator.functions.fulfillRandomWordsWithOverride(
        old_id, trackpacks_contract().address, [7]
    ).build_transaction(
        {"from": fulfiller.address, "nonce": w3.eth.get_transaction_count(fulfiller.address)}
    )
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(fulfiller.sign_transaction(tx).raw_transaction)
    )
    indexer_process_once()
    assert not ChainEvent.objects.filter(event_name="PackOpened").exists()
    assert Pack.objects.get(pk=pack.pk).status == PackStatus.OPENING

    run_background()  # the new request is fulfilled
    detail = fan.api.get(f"/api/v1/packs/{pack.pk}/").json()
    assert detail["status"] == "opened"
    assert len({s["token_id"] for s in detail["songs"]}) == 5
    code, out = verify("--request-id", str(old_id))  # followed to the retried request
    assert code == 0, out
    assert "retried from" in out
    proof = fan.api.get(f"/api/v1/openings/{opening.pk}/proof/").json()
    assert proof["matches"] is True
    assert [r["new_request_id"] for r in proof["retries"]] == [str(new_id)]


def link_wallet_packs(fan: Fan, catalog: Batch, quantity: int) -> list[Pack]:
    """Self-custody packs: bought by the fan's wallet (the order path is tested elsewhere)."""
    contract = trackpacks_contract()
    data = contract.encode_abi("buyPacks", args=[catalog.pk, quantity, b"\x42" * 32])
    send_from(fan.wallet, to=contract.address, data=data, value=quantity * 10**16)
    return packs_issue(
        owner=fan.user,
        batch=catalog,
        quantity=quantity,
        custody=Custody.SELF,
        holder_address=fan.wallet.address,
        order=None,
    )


def test_self_custody_intent_then_stuck_shows_the_retry_call(
    fan: Fan, catalog: Batch, settings: Any
) -> None:
    [pack] = link_wallet_packs(fan, catalog, 1)
    opened = fan.api.post(f"/api/v1/packs/{pack.pk}/open/")
    assert opened.status_code == 202
    assert opened.json()["pack"]["status"] == "unopened"
    intent = fan.api.get(f"/api/v1/packs/{pack.pk}/").json()["open_intent"]
    assert intent["action"] == "open"
    assert intent["expires_at"] is not None
    call = intent["wallet_call"]
    send_from(fan.wallet, to=call["to"], data=call["data"])
    request_without_fulfilment()
    detail = fan.api.get(f"/api/v1/packs/{pack.pk}/").json()
    assert (detail["status"], detail["open_intent"]) == ("opening", None)

    opening = Opening.objects.get(pack=pack)
    age_request(opening, DAY + 3600)
    detail = fan.api.get(f"/api/v1/packs/{pack.pk}/").json()
    assert detail["status"] == "stuck"
    retry = detail["open_intent"]
    assert retry["action"] == "retry"
    assert retry["wallet_call"]["function"] == "retryOpen"
    assert openings_retry_stuck() == 0  # the owner's wallet retries, not the operator

    advance_chain_time(DAY + 60)
    send_from(fan.wallet, to=retry["wallet_call"]["to"], data=retry["wallet_call"]["data"])
    run_background()
    detail = fan.api.get(f"/api/v1/packs/{pack.pk}/").json()
    assert detail["status"] == "opened"
    assert len(Opening.objects.get(pack=pack).retries) == 1


def test_an_opening_intent_expires_and_a_direct_wallet_open_still_counts(
    fan: Fan, catalog: Batch
) -> None:
    first, second = link_wallet_packs(fan, catalog, 2)
    fan.api.post(f"/api/v1/packs/{first.pk}/open/")
    Pack.objects.filter(pk=first.pk).update(
        open_intent_expires_at=timezone.now() - timedelta(seconds=1)
    )
    detail = fan.api.get(f"/api/v1/packs/{first.pk}/").json()
    assert (detail["status"], detail["open_intent"]) == ("unopened", None)
    # An intent on the second pack: the wallet's request is matched to it.
    call = fan.api.post(f"/api/v1/packs/{second.pk}/open/").json()["wallet_call"]
    send_from(fan.wallet, to=call["to"], data=call["data"])
    run_background()
    assert Pack.objects.get(pk=second.pk).status == PackStatus.OPENED
    assert Pack.objects.get(pk=first.pk).status == PackStatus.UNOPENED
    # Opened straight from the wallet, without any intent: the remaining pack is matched.
    send_from(fan.wallet, to=call["to"], data=call["data"])
    run_background()
    assert Pack.objects.get(pk=first.pk).status == PackStatus.OPENED
