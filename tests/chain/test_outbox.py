import threading
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.db.models import Count

from chain import outbox
from chain.client import reset_clients
from chain.config import signer_address
from chain.models import ChainTransaction, ChainTransactionAttempt
from chain.outbox import chain_tx_enqueue, on_tx_status, outbox_process_once
from tests.chain.conftest import ChainHelper
from tests.chain_fixtures import anvil_settle

pytestmark = pytest.mark.chain
Status = ChainTransaction.Status

seen: list[tuple[str, str]] = []


@on_tx_status("registerSong")
@on_tx_status("registerSongs")
def _record_status(tx: ChainTransaction) -> None:
    seen.append((tx.reference, tx.status))


def enqueue_songs(
    reference: str, ids: list[int], tiers: list[int] | None = None
) -> ChainTransaction:
    with transaction.atomic():
        return chain_tx_enqueue(
            sender_role="admin",
            function="registerSongs",
            args=[ids, tiers or [0] * len(ids)],
            reference=reference,
        )


def debug(chainh: ChainHelper, tx: ChainTransaction) -> str:
    admin = signer_address("admin")
    return (
        f"{tx.nonce=} {tx.last_error=} {tx.attempts=} {tx.last_broadcast_at=} {tx.next_attempt_at=}"
        f" latest={chainh.w3.eth.get_transaction_count(admin)}"
        f" pending={chainh.w3.eth.get_transaction_count(admin, 'pending')}"
        f" pool={chainh.rpc('txpool_content')}"
    )


def passes(count: int = 2) -> None:
    for _ in range(count):
        outbox_process_once()
        anvil_settle(django_settings.CHAIN_RPC_URL)


def registered(chainh: ChainHelper, song_id: int) -> bool:
    return bool(chainh.contract.functions.songInfo(song_id).call()[0])


@pytest.mark.django_db(transaction=True)
def test_enqueue_only_inside_atomic(chainh: ChainHelper) -> None:
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        chain_tx_enqueue(
            sender_role="admin", function="registerSong", args=[1, 0], reference="outside"
        )
    assert not ChainTransaction.objects.exists()
    with transaction.atomic():
        chain_tx_enqueue(sender_role="admin", function="registerSong", args=[1, 0], reference="in")
    assert ChainTransaction.objects.get().calldata.startswith("0x")


@pytest.mark.django_db
def test_repeated_reference_returns_the_same_row_and_bad_args_fail_early(
    chainh: ChainHelper,
) -> None:
    first = enqueue_songs("songs:1", [1, 2])
    again = enqueue_songs("songs:1", [1, 2])
    assert first.pk == again.pk
    assert ChainTransaction.objects.count() == 1
    with pytest.raises(ValueError, match="Cannot encode"), transaction.atomic():
        chain_tx_enqueue(sender_role="admin", function="registerSong", args=["x"], reference="bad")
    assert not ChainTransaction.objects.filter(reference="bad").exists()


@pytest.mark.django_db
def test_outbox_sends_confirms_and_calls_back(chainh: ChainHelper) -> None:
    tx = enqueue_songs("songs:confirm", [11, 12], [0, 1])
    passes()
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED
    assert tx.receipt_status == 1
    assert tx.gas_used
    assert tx.block_number
    assert tx.sender_address == signer_address("admin")
    assert registered(chainh, 11)
    assert registered(chainh, 12)
    assert ("songs:confirm", Status.CONFIRMED) in seen


@pytest.mark.django_db
def test_crash_after_broadcast_rebroadcasts_the_same_bytes(
    chainh: ChainHelper, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = signer_address("admin")
    start_nonce = chainh.w3.eth.get_transaction_count(admin)
    chainh.rpc("evm_setAutomine", [False])
    tx = enqueue_songs("songs:crash", [21])

    def crash(_tx: ChainTransaction) -> None:
        raise RuntimeError("worker died")

    monkeypatch.setattr(outbox, "_record_broadcast", crash)
    with pytest.raises(RuntimeError, match="worker died"):
        outbox_process_once()
    monkeypatch.undo()
    tx.refresh_from_db()
    assert tx.status == Status.SENT
    assert tx.last_broadcast_at is None
    signed = tx.raw_tx

    outbox_process_once()  # same bytes again: the node already knows them
    tx.refresh_from_db()
    assert tx.raw_tx == signed
    assert tx.last_broadcast_at is not None
    chainh.mine()
    outbox_process_once()
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED
    assert ChainTransactionAttempt.objects.filter(transaction=tx).count() == 1
    assert chainh.w3.eth.get_transaction_count(admin) == start_nonce + 1
    assert registered(chainh, 21)


@pytest.mark.django_db
def test_rpc_unavailable_then_back_nothing_lost(chainh: ChainHelper, settings: Any) -> None:
    good_url = settings.CHAIN_RPC_URL
    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"  # closed port
    reset_clients()
    tx = enqueue_songs("songs:offline", [31])
    outbox_process_once()
    tx.refresh_from_db()
    assert tx.status == Status.QUEUED
    assert tx.next_attempt_at is not None
    assert "rpc unavailable" in tx.last_error

    settings.CHAIN_RPC_URL = good_url
    reset_clients()
    outbox_process_once()  # still backing off
    tx.refresh_from_db()
    assert tx.status == Status.QUEUED
    ChainTransaction.objects.filter(pk=tx.pk).update(next_attempt_at=None)
    passes()
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED
    assert registered(chainh, 31)


@pytest.mark.django_db
def test_insufficient_funds_fails_fast(
    chainh: ChainHelper, caplog: pytest.LogCaptureFixture
) -> None:
    chainh.rpc("anvil_setBalance", [signer_address("admin"), "0x0"])
    tx = enqueue_songs("songs:broke", [41])
    outbox_process_once()
    tx.refresh_from_db()
    assert tx.status == Status.FAILED
    assert "insufficient funds" in tx.failure_reason.lower()
    assert any(
        r.levelname == "ERROR" and "insufficient funds" in r.getMessage() for r in caplog.records
    )
    assert ("songs:broke", Status.FAILED) in seen

    chainh.rpc("anvil_setBalance", [signer_address("admin"), hex(10**21)])
    after = enqueue_songs("songs:funded", [42])
    passes(3)
    after.refresh_from_db()
    assert after.status == Status.CONFIRMED, debug(chainh, after)
    if tx.nonce is not None:  # refused by the node: its nonce was handed on, no gap
        assert after.nonce == tx.nonce


@pytest.mark.django_db
def test_reverts_fail_with_reason_and_callback(chainh: ChainHelper) -> None:
    # Both signed in one pass: the second estimate runs before the first is mined, so it
    # reverts on chain (receipt status 0).
    first = enqueue_songs("songs:a", [51])
    second = enqueue_songs("songs:b", [51])
    passes()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.CONFIRMED
    assert second.status == Status.FAILED
    assert second.receipt_status == 0
    assert "SongAlreadyRegistered" in second.failure_reason
    assert ("songs:b", Status.FAILED) in seen

    # Known to revert before sending: failed at estimation, no nonce used.
    third = enqueue_songs("songs:c", [51])
    outbox_process_once()
    third.refresh_from_db()
    assert third.status == Status.FAILED
    assert third.nonce is None
    assert "SongAlreadyRegistered" in third.failure_reason


@pytest.mark.django_db
def test_nonce_used_elsewhere_is_resynced(chainh: ChainHelper) -> None:
    passes_before = enqueue_songs("songs:n1", [61])
    passes()
    passes_before.refresh_from_db()
    assert passes_before.status == Status.CONFIRMED
    chainh.send("admin", "registerSong", 62, 0)  # someone else uses the next nonce
    tx = enqueue_songs("songs:n2", [63])
    passes(3)
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED, debug(chainh, tx)
    assert tx.nonce == passes_before.nonce + 2
    assert registered(chainh, 63)


@pytest.mark.django_db
def test_stuck_transaction_is_resigned_with_higher_fees(chainh: ChainHelper, settings: Any) -> None:
    settings.CHAIN_TX_BUMP_AFTER_SECONDS = 0
    chainh.rpc("evm_setAutomine", [False])
    tx = enqueue_songs("songs:stuck", [71])
    outbox_process_once()
    outbox_process_once()  # no receipt: re-signed (same nonce, fees x2) and broadcast
    tx.refresh_from_db()
    attempts = list(ChainTransactionAttempt.objects.filter(transaction=tx).order_by("pk"))
    assert len(attempts) == 2
    assert attempts[0].nonce == attempts[1].nonce
    assert attempts[1].max_fee_per_gas >= 2 * attempts[0].max_fee_per_gas
    settings.CHAIN_TX_BUMP_AFTER_SECONDS = 3600
    chainh.mine()
    outbox_process_once()
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED
    assert tx.tx_hash == attempts[1].tx_hash
    assert registered(chainh, 71)


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_reuse_a_nonce(chainh: ChainHelper) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks for real concurrency (SQLite serialises writes)")
    for i in range(12):
        enqueue_songs(f"songs:c{i}", [100 + i])
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(4):
                outbox_process_once()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    passes(3)
    rows = ChainTransaction.objects.all()
    assert all(r.status == Status.CONFIRMED for r in rows), [
        (r.reference, r.status, r.last_error) for r in rows
    ]
    nonces = [r.nonce for r in rows]
    assert len(set(nonces)) == len(nonces)
    assert (
        not ChainTransactionAttempt.objects.values("nonce")
        .annotate(n=Count("transaction", distinct=True))
        .filter(n__gt=1)
        .exists()
    )
    for i in range(12):
        assert registered(chainh, 100 + i)


@pytest.mark.django_db
def test_dropped_tx_whose_nonce_went_elsewhere_is_resent(
    chainh: ChainHelper, settings: Any
) -> None:
    settings.CHAIN_TX_NONCE_EVIDENCE_BLOCKS = 3
    chainh.rpc("evm_setAutomine", [False])
    tx = enqueue_songs("songs:dropped", [81])
    outbox_process_once()
    tx.refresh_from_db()
    assert tx.last_broadcast_at is not None
    chainh.rpc("anvil_dropAllTransactions")
    chainh.rpc("evm_setAutomine", [True])
    chainh.send("admin", "registerSong", 82, 0)  # takes the same nonce
    passes(3)
    tx.refresh_from_db()
    assert tx.status == Status.SENT  # no receipt, but no evidence yet that it never ran
    chainh.mine(3)
    passes(3)
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED, debug(chainh, tx)
    assert registered(chainh, 81)


@pytest.mark.django_db
def test_expired_tx_fails_and_its_nonce_is_reused(chainh: ChainHelper, settings: Any) -> None:
    chainh.rpc("evm_setAutomine", [False])
    tx = enqueue_songs("songs:expire", [91])
    outbox_process_once()
    chainh.rpc("anvil_dropAllTransactions")  # the node lost it
    settings.CHAIN_TX_BUMP_AFTER_SECONDS = 0
    settings.CHAIN_TX_MAX_AGE_SECONDS = 0
    outbox_process_once()
    tx.refresh_from_db()
    assert tx.status == Status.FAILED
    assert tx.failure_reason.startswith("expired")
    assert ("songs:expire", Status.FAILED) in seen

    settings.CHAIN_TX_BUMP_AFTER_SECONDS = 3600
    chainh.rpc("evm_setAutomine", [True])
    retry = enqueue_songs("songs:expire-retry", [91])
    passes()
    retry.refresh_from_db()
    assert retry.status == Status.CONFIRMED
    assert retry.nonce == tx.nonce  # no gap left behind


@pytest.mark.django_db
def test_mined_tx_reorged_out_is_broadcast_again(chainh: ChainHelper, settings: Any) -> None:
    settings.CHAIN_CONFIRMATIONS = 3
    fork_point = chainh.rpc("evm_snapshot")
    tx = enqueue_songs("songs:reorg", [95])
    passes()
    tx.refresh_from_db()
    assert tx.status == Status.MINED
    signed, first_block = tx.raw_tx, tx.block_hash

    chainh.rpc("evm_revert", [fork_point])  # the block holding it is gone
    chainh.mine(3)
    outbox_process_once()  # receipt missing at confirmation time: back to sent, re-broadcast
    chainh.mine(3)
    passes()
    tx.refresh_from_db()
    assert tx.status == Status.CONFIRMED, debug(chainh, tx)
    assert tx.raw_tx == signed
    assert tx.block_hash != first_block
    assert registered(chainh, 95)
