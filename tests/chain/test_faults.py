"""The indexer and the outbox against real anvil behind a faulty JSON-RPC proxy.

Adversaries: an RPC node some blocks behind (or one that has not got a block it should), a
wrong RPC / a reorg deeper than we undo by ourselves, a reversal the domain cannot apply, a
node that refuses a first broadcast, one that loses a transaction it accepted, one that says
"nonce too low" while hiding the receipt, and a provider that rate-limits or times out."""

from io import StringIO
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.db import transaction
from django.db.models import ProtectedError
from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3
from web3.types import Wei

from chain import events
from chain.config import signer_account
from chain.indexer import chain_ingest_transaction, indexer_halt, indexer_process_once
from chain.models import (
    ChainEvent,
    ChainTransaction,
    ChainTransactionAttempt,
    IndexedBlock,
    IndexerCursor,
    TokenBalance,
)
from chain.outbox import chain_tx_enqueue, outbox_process_once
from core.errors import ApplicationError
from payments.models import Order, OrderStatus
from tests.chain.conftest import ChainHelper
from tests.chain.rpc_proxy import RpcProxy
from tests.chain.test_indexer import (
    BATCH,
    PRICE,
    balances_match_chain,
    custodial,
    mint,
    setup_batch,
)
from tests.chain_fixtures import anvil_settle
from tests.conftest import SchemaCheckedClient
from tests.factories import make_order, make_song, make_user
from trackpacks.models import Batch, Custody, Pack
from trackpacks.services import pack_open

pytestmark = [pytest.mark.chain, pytest.mark.django_db]
Status = ChainTransaction.Status


def snapshot_of_indexed_state() -> tuple[list[tuple[str, int]], list[tuple[str, int, int]]]:
    events = sorted(ChainEvent.objects.values_list("tx_hash", "log_index"))
    balances = sorted(
        (row.address, int(row.token_id), int(row.balance)) for row in TokenBalance.objects.all()
    )
    return events, balances


def cursor(chainh: ChainHelper) -> IndexerCursor:
    return IndexerCursor.objects.get(address=chainh.deployment.trackpacks.address)


def indexed_with_history(chainh: ChainHelper) -> None:
    """A batch, two mints a few blocks apart, all indexed (through the proxy, no fault)."""
    setup_batch(chainh)
    mint(chainh, 5, 3, 1)
    chainh.mine(2)
    mint(chainh, 6, 2, 2)
    chainh.mine(1)
    assert indexer_process_once() > 0
    assert cursor(chainh).last_block == chainh.w3.eth.block_number


# --------------------------------------------------------------------------- indexer


def test_a_lagging_node_is_not_a_reorg(chainh: ChainHelper, rpc_proxy: RpcProxy) -> None:
    indexed_with_history(chainh)
    before = snapshot_of_indexed_state()
    top = cursor(chainh).last_block

    rpc_proxy.lag = 3  # the node's head is below blocks we already indexed
    assert indexer_process_once() == 0
    assert snapshot_of_indexed_state() == before, "events orphaned or balances changed"
    assert cursor(chainh).last_block == top

    rpc_proxy.lag = 0
    rpc_proxy.missing_blocks = {top}  # head fine, yet it has not got our top block
    assert indexer_process_once() == 0
    assert snapshot_of_indexed_state() == before

    rpc_proxy.missing_blocks = set()
    mint(chainh, 7, 1, 3)
    assert indexer_process_once() > 0
    assert cursor(chainh).halted_at is None
    assert ChainEvent.objects.filter(event_name="PacksMinted").count() == 3
    balances_match_chain(chainh)


def test_scan_waits_for_a_block_the_node_lost(chainh: ChainHelper, rpc_proxy: RpcProxy) -> None:
    indexed_with_history(chainh)
    mint(chainh, 7, 1, 3)
    head = chainh.w3.eth.block_number
    rpc_proxy.missing_blocks = {head}
    assert indexer_process_once() == 0
    assert cursor(chainh).last_block < head
    rpc_proxy.missing_blocks = set()
    assert indexer_process_once() > 0
    balances_match_chain(chainh)


def health_of_chain(api: SchemaCheckedClient) -> tuple[int, dict[str, Any]]:
    response = api.get("/api/v1/health/")
    return response.status_code, response.json()["checks"]["chain"]


def test_a_rewind_deeper_than_the_bound_halts_and_health_turns_red(
    chainh: ChainHelper, rpc_proxy: RpcProxy, settings: Any, api: SchemaCheckedClient
) -> None:
    settings.CHAIN_MAX_REORG_DEPTH = 3
    setup_batch(chainh)
    fork_point = chainh.rpc("evm_snapshot")
    for ref in range(1, 6):
        mint(chainh, 5, 1, ref)
        assert indexer_process_once() > 0  # one stored block per mint
    assert health_of_chain(api)[1]["ok"] is True
    before = snapshot_of_indexed_state()

    chainh.rpc("evm_revert", [fork_point])  # 5 blocks replaced: deeper than 3
    chainh.mine(8)
    assert indexer_process_once() == 0
    state = cursor(chainh)
    assert state.halted_at is not None
    assert "CHAIN_MAX_REORG_DEPTH=3" in state.halt_reason
    assert snapshot_of_indexed_state() == before, "history reverted although halted"
    assert indexer_process_once() == 0  # stays halted
    status, chain_check = health_of_chain(api)
    assert status == 503
    assert chain_check["ok"] is False
    assert chain_check["indexer_halted"] is True

    call_command("chain_indexer_resume", "--accept-rewind")
    indexer_process_once()
    assert cursor(chainh).halted_at is None
    assert not ChainEvent.objects.filter(event_name="PacksMinted").exists()
    assert not TokenBalance.objects.filter(balance__gt=0, address=custodial(chainh, 5)).exists()
    assert health_of_chain(api)[1]["ok"] is True


def test_a_shallow_reorg_right_after_a_long_catch_up_is_undone_not_halted(
    chainh: ChainHelper, rpc_proxy: RpcProxy, settings: Any
) -> None:
    settings.CHAIN_MAX_REORG_DEPTH = 4
    setup_batch(chainh)
    chainh.mine(10)  # no event for a while: the catch-up below stores few event blocks
    fork_point = chainh.rpc("evm_snapshot")
    orphan = mint(chainh, 5, 2, 1)
    chainh.mine(1)
    indexer_process_once()  # one range from the deployment block to the head
    assert ChainEvent.objects.filter(tx_hash=HexBytes(orphan["transactionHash"]).to_0x_hex())

    chainh.rpc("evm_revert", [fork_point])  # a 2-block reorg
    mint(chainh, 6, 1, 2)
    chainh.mine(2)
    indexer_process_once()
    assert cursor(chainh).halted_at is None, cursor(chainh).halt_reason
    assert not ChainEvent.objects.filter(tx_hash=HexBytes(orphan["transactionHash"]).to_0x_hex())
    assert ChainEvent.objects.filter(event_name="PacksMinted").count() == 1
    balances_match_chain(chainh)


def test_a_halted_indexer_refuses_to_ingest_a_fan_transaction_and_resume_needs_a_halt(
    chainh: ChainHelper, rpc_proxy: RpcProxy
) -> None:
    indexed_with_history(chainh)
    address = chainh.deployment.trackpacks.address
    receipt = mint(chainh, 7, 1, 9)
    out = StringIO()
    call_command("chain_indexer_resume", stdout=out)
    assert "not halted" in out.getvalue()
    indexer_halt(chain_id=31337, address=address, reason="test: operator stop")
    with pytest.raises(ApplicationError) as paused:
        chain_ingest_transaction(tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex())
    assert (paused.value.code, paused.value.status_code) == ("chain_indexer_paused", 503)
    assert not ChainEvent.objects.filter(
        tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex()
    ).exists()
    call_command("chain_indexer_resume", stdout=out)
    assert "test: operator stop" in out.getvalue()
    assert chain_ingest_transaction(tx_hash=HexBytes(receipt["transactionHash"]).to_0x_hex())


def test_no_stored_block_matching_halts_instead_of_reverting_everything(
    chainh: ChainHelper, rpc_proxy: RpcProxy, caplog: pytest.LogCaptureFixture
) -> None:
    indexed_with_history(chainh)
    before = snapshot_of_indexed_state()
    # As if we had indexed another chain (a wrong CHAIN_RPC_URL, a fork): nothing matches.
    for block in IndexedBlock.objects.all():
        block.hash = "0x" + f"{block.number:064x}"
        block.save()
    assert indexer_process_once() == 0
    state = cursor(chainh)
    assert state.halted_at is not None
    assert "no stored block matches" in state.halt_reason
    assert snapshot_of_indexed_state() == before
    assert any(r.levelname == "CRITICAL" and "ALERT" in r.getMessage() for r in caplog.records)


def settle_crypto_order(chainh: ChainHelper) -> tuple[Order, str]:
    """A batch on chain and in the database, a fan's crypto order paid by `buyPacks` and
    indexed. Returns the order and a chain snapshot taken just before the purchase."""
    setup_batch(chainh)
    for token_id in range(1, 7):
        make_song(token_id=token_id)
    batch = Batch.objects.create(
        pk=BATCH, name="B", supply=50, available=50, price_cents=500, price_wei=PRICE
    )
    buyer = chainh.account(4)
    order_ref = "0x" + "07" * 32
    order = make_order(
        user=make_user(), batch=batch, quantity=1, payer_address=buyer, order_ref=order_ref
    )
    fork_point = str(chainh.rpc("evm_snapshot"))
    tx_hash = chainh.w3.eth.send_transaction(
        {
            "from": buyer,
            "to": chainh.contract.address,
            "value": Wei(PRICE),
            "data": chainh.contract.encode_abi("buyPacks", args=[BATCH, 1, HexBytes(order_ref)]),
        }
    )
    chainh.w3.eth.wait_for_transaction_receipt(tx_hash)
    indexer_process_once()
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    return order, fork_point


def test_a_reversal_that_raises_halts_with_its_reason_and_reverts_nothing(
    chainh: ChainHelper, rpc_proxy: RpcProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revert handler that raises (a bug, a protected row) used to roll back every pass, and
    the indexer retried the same rewind forever."""
    setup_batch(chainh)
    fork_point = chainh.rpc("evm_snapshot")
    mint(chainh, 5, 2, 1)
    chainh.mine(1)
    indexer_process_once()
    before = snapshot_of_indexed_state()

    def cannot_undo(event: ChainEvent) -> None:
        raise ProtectedError("pack 7 is referenced by an opening", set())

    monkeypatch.setitem(events._reverters, "PacksMinted", [cannot_undo])
    chainh.rpc("evm_revert", [fork_point])
    chainh.mine(3)
    assert indexer_process_once() == 0  # no exception: the indexer is not wedged
    state = cursor(chainh)
    assert state.halted_at is not None
    assert "cannot undo PacksMinted" in state.halt_reason
    assert "ProtectedError" in state.halt_reason
    assert "pack 7 is referenced by an opening" in state.halt_reason
    assert snapshot_of_indexed_state() == before  # the transfers' undo was rolled back too


def test_a_reorg_of_a_purchase_whose_pack_is_being_opened_never_wedges(
    chainh: ChainHelper, rpc_proxy: RpcProxy
) -> None:
    """A reorg takes back a crypto purchase whose pack the fan already asked to open. The
    order is either unsettled cleanly or the indexer halts naming the event; before, the pack's
    opening made `order_unsettle_crypto` raise ProtectedError on every pass."""
    order, fork_point = settle_crypto_order(chainh)
    pack = Pack.objects.get(order=order)
    assert pack.custody == Custody.SELF
    pack_open(user=order.user, pack_id=pack.pk)
    before = snapshot_of_indexed_state()

    chainh.rpc("evm_revert", [fork_point])
    chainh.mine(3)
    indexer_process_once()  # must not raise
    state = cursor(chainh)
    order.refresh_from_db()
    if state.halted_at is None:
        assert order.status == OrderStatus.PENDING
        assert not Pack.objects.filter(order=order).exists()
        balances_match_chain(chainh)
    else:
        assert "cannot undo PacksPurchased" in state.halt_reason
        assert snapshot_of_indexed_state() == before  # nothing half-reverted
        assert order.status == OrderStatus.FULFILLED


# --------------------------------------------------------------------------- outbox


def enqueue_songs(reference: str, ids: list[int]) -> ChainTransaction:
    with transaction.atomic():
        return chain_tx_enqueue(
            sender_role="admin",
            function="registerSongs",
            args=[ids, [0] * len(ids)],
            reference=reference,
        )


def outbox_pass(chainh: ChainHelper) -> None:
    outbox_process_once()
    anvil_settle(chainh.url)


def registered(chainh: ChainHelper, song_id: int) -> bool:
    return bool(chainh.contract.functions.songInfo(song_id).call()[0])


def test_a_refused_first_broadcast_still_bumps_the_fees(
    chainh: ChainHelper, rpc_proxy: RpcProxy, settings: Any
) -> None:
    settings.CHAIN_TX_BUMP_AFTER_SECONDS = 0
    rpc_proxy.refuse_sends = 1  # "max fee per gas less than block base fee"
    tx = enqueue_songs("songs:refused", [201])
    outbox_pass(chainh)
    tx.refresh_from_db()
    assert tx.status == Status.SENT
    assert tx.last_broadcast_at is None
    assert "base fee" in tx.last_error

    outbox_pass(chainh)  # re-signed with higher fees, broadcast, mined
    settings.CHAIN_TX_BUMP_AFTER_SECONDS = 3600
    for _ in range(3):
        outbox_pass(chainh)
    tx.refresh_from_db()
    attempts = list(ChainTransactionAttempt.objects.filter(transaction=tx).order_by("pk"))
    assert len(attempts) == 2
    assert attempts[1].max_fee_per_gas >= 2 * attempts[0].max_fee_per_gas
    assert attempts[0].nonce == attempts[1].nonce
    assert tx.status == Status.CONFIRMED
    assert tx.tx_hash == attempts[1].tx_hash
    assert registered(chainh, 201)


def test_a_call_refused_every_time_expires_and_frees_its_nonce(
    chainh: ChainHelper, rpc_proxy: RpcProxy, settings: Any
) -> None:
    rpc_proxy.refuse_sends = 10**6
    tx = enqueue_songs("songs:refused-forever", [211])
    outbox_pass(chainh)
    settings.CHAIN_TX_MAX_AGE_SECONDS = 0
    settings.CHAIN_TX_BUMP_AFTER_SECONDS = 0
    outbox_pass(chainh)
    tx.refresh_from_db()
    assert tx.status == Status.FAILED
    assert tx.failure_reason.startswith("expired")

    rpc_proxy.refuse_sends = 0
    settings.CHAIN_TX_MAX_AGE_SECONDS = settings.CHAIN_TX_BUMP_AFTER_SECONDS = 3600
    after = enqueue_songs("songs:after-refusals", [212])
    for _ in range(3):
        outbox_pass(chainh)
    after.refresh_from_db()
    assert after.status == Status.CONFIRMED
    assert after.nonce == tx.nonce  # the sender's queue is not blocked behind it


def test_nonce_too_low_without_receipt_is_not_requeued_until_evidence(
    chainh: ChainHelper, rpc_proxy: RpcProxy, settings: Any
) -> None:
    settings.CHAIN_TX_NONCE_EVIDENCE_BLOCKS = 4
    rpc_proxy.hide_receipts = True  # a node behind: the receipt is not there yet
    rpc_proxy.forward_then_refuse = 1
    rpc_proxy.refusal = "nonce too low"  # one node took it, another says the nonce is used
    tx = enqueue_songs("songs:nonce-low", [221])
    outbox_pass(chainh)
    tx.refresh_from_db()
    assert registered(chainh, 221)  # it did run
    nonce, first_hash = tx.nonce, tx.tx_hash
    for _ in range(3):
        chainh.mine(1)
        outbox_pass(chainh)
        tx.refresh_from_db()
        assert (tx.status, tx.nonce, tx.tx_hash) == (Status.SENT, nonce, first_hash)
    assert ChainTransactionAttempt.objects.filter(transaction=tx).count() == 1

    rpc_proxy.hide_receipts = False  # the node caught up
    outbox_pass(chainh)
    outbox_pass(chainh)
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED
    assert (tx.nonce, tx.tx_hash) == (nonce, first_hash)
    admin = signer_account("admin").address
    assert chainh.w3.eth.get_transaction_count(admin) == nonce + 1  # ran once


def test_a_replaced_transaction_is_requeued_only_after_evidence(
    chainh: ChainHelper, rpc_proxy: RpcProxy, settings: Any
) -> None:
    settings.CHAIN_TX_NONCE_EVIDENCE_BLOCKS = 4
    admin = signer_account("admin")

    def replace(raw: str) -> str:  # the same nonce spent on a plain transfer instead
        nonce = chainh.w3.eth.get_transaction_count(admin.address, "pending")
        fee = 10 * int(chainh.w3.eth.get_block("latest")["baseFeePerGas"])
        signed = Account.sign_transaction(
            {
                "type": 2,
                "chainId": 31337,
                "nonce": nonce,
                "to": chainh.account(8),
                "value": 1,
                "gas": 21000,
                "maxFeePerGas": fee,
                "maxPriorityFeePerGas": 1,
            },
            admin.key,
        )
        return HexBytes(signed.raw_transaction).to_0x_hex()

    rpc_proxy.replace_send = replace
    tx = enqueue_songs("songs:replaced", [231])
    outbox_pass(chainh)
    rpc_proxy.replace_send = None
    first_nonce = ChainTransaction.objects.get(pk=tx.pk).nonce
    for _ in range(2):
        outbox_pass(chainh)
        tx.refresh_from_db()
        assert tx.status == Status.SENT
        assert tx.nonce == first_nonce
    assert not registered(chainh, 231)

    chainh.mine(4)
    for _ in range(3):
        outbox_pass(chainh)
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED
    assert tx.nonce == first_nonce + 1
    assert registered(chainh, 231)


def test_a_dropped_broadcast_is_sent_again_with_the_same_bytes(
    chainh: ChainHelper, rpc_proxy: RpcProxy
) -> None:
    rpc_proxy.drop_sends = 1  # accepted, then lost by the node
    tx = enqueue_songs("songs:dropped-by-node", [241])
    outbox_pass(chainh)
    tx.refresh_from_db()
    assert tx.last_broadcast_at is not None
    assert not registered(chainh, 241)
    for _ in range(3):
        outbox_pass(chainh)
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED
    assert rpc_proxy.sent_raw == [tx.raw_tx, tx.raw_tx]
    assert ChainTransactionAttempt.objects.filter(transaction=tx).count() == 1
    assert registered(chainh, 241)


def test_rate_limits_and_timeouts_back_off_and_lose_nothing(
    chainh: ChainHelper, rpc_proxy: RpcProxy, settings: Any
) -> None:
    indexed_with_history(chainh)
    before = snapshot_of_indexed_state()
    tx = enqueue_songs("songs:throttled", [251])
    rpc_proxy.rate_limited = 10**6
    outbox_process_once()
    tx.refresh_from_db()
    assert tx.status == Status.QUEUED
    assert tx.next_attempt_at is not None
    assert "rpc unavailable" in tx.last_error
    with pytest.raises(requests.HTTPError):
        indexer_process_once()

    rpc_proxy.rate_limited = 0
    settings.CHAIN_RPC_TIMEOUT_SECONDS = 1
    from chain.client import reset_clients

    reset_clients()
    rpc_proxy.stall, rpc_proxy.stall_seconds = 1, 1.5
    with pytest.raises(requests.Timeout):
        indexer_process_once()
    assert snapshot_of_indexed_state() == before
    assert cursor(chainh).halted_at is None

    ChainTransaction.objects.filter(pk=tx.pk).update(next_attempt_at=None)
    for _ in range(2):
        outbox_pass(chainh)
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED
    assert registered(chainh, 251)
    assert Web3.to_checksum_address(tx.sender_address) == signer_account("admin").address
