"""How chain events and outbox results change packs and the catalog."""

from django.db.models import Q

from chain.events import on_event, on_revert
from chain.models import ChainEvent, ChainTransaction
from chain.outbox import on_tx_status
from trackpacks import services
from trackpacks.models import Batch, Opening, Pack, PackStatus, Song


@on_event("PackOpenRequested")
def _open_requested(event: ChainEvent) -> None:
    services.pack_open_requested(
        request_id=int(event.args["requestId"]),
        holder=event.args["holder"],
        batch_id=int(event.args["batchId"]),
        tx_hash=event.tx_hash,
    )


@on_revert("PackOpenRequested")
def _open_requested_reverted(event: ChainEvent) -> None:
    services.pack_open_reverted(request_id=int(event.args["requestId"]))


@on_event("PackOpenRetried")
def _open_retried(event: ChainEvent) -> None:
    services.pack_open_retried(
        old_request_id=int(event.args["oldRequestId"]),
        new_request_id=int(event.args["newRequestId"]),
        tx_hash=event.tx_hash,
    )


@on_revert("PackOpenRetried")
def _open_retry_reverted(event: ChainEvent) -> None:
    services.pack_open_retry_reverted(
        old_request_id=int(event.args["oldRequestId"]),
        new_request_id=int(event.args["newRequestId"]),
    )


@on_event("PackOpened")
def _opened(event: ChainEvent) -> None:
    services.pack_open_fulfilled(
        request_id=int(event.args["requestId"]),
        song_token_ids=[int(song_id) for song_id in event.args["songIds"]],
        random_word=int(event.args["randomWord"]),
        tx_hash=event.tx_hash,
    )


@on_revert("PackOpened")
def _opened_reverted(event: ChainEvent) -> None:
    services.pack_open_fulfilment_reverted(request_id=int(event.args["requestId"]))


@on_tx_status("registerSong")
def _song_registered(tx: ChainTransaction) -> None:
    services.chain_status_set(
        rows=Song.objects.filter(token_id=int(tx.args[0])),
        confirmed=tx.status == ChainTransaction.Status.CONFIRMED,
    )


@on_tx_status("createBatch")
def _batch_created(tx: ChainTransaction) -> None:
    services.chain_status_set(
        rows=Batch.objects.filter(pk=int(tx.args[0])),
        confirmed=tx.status == ChainTransaction.Status.CONFIRMED,
    )


@on_tx_status("openPackFor")
def _custodial_open_sent(tx: ChainTransaction) -> None:
    """A custodial open that failed on chain leaves the pack unopened, to be tried again."""
    if tx.status != ChainTransaction.Status.FAILED:
        return
    pack_id = int(tx.reference.split(":")[1])
    Opening.objects.filter(pack_id=pack_id, request_id__isnull=True).delete()
    Pack.objects.filter(pk=pack_id, status=PackStatus.OPENING).update(status=PackStatus.UNOPENED)


def _withdrawal_id(tx: ChainTransaction) -> int:
    return int(tx.reference.split(":")[1])


def _withdrawal_tx(tx_hash: str) -> ChainTransaction | None:
    """The outbox row behind a mined hash: any attempt's hash (fee bumps re-sign)."""
    return (
        ChainTransaction.objects.filter(function="withdrawFor")
        .filter(Q(tx_hash=tx_hash) | Q(attempts_log__tx_hash=tx_hash))
        .first()
    )


@on_event("CustodialWithdrawal")
def _withdrawal_landed(event: ChainEvent) -> None:
    # Applied in the same indexer transaction as the TransferSingle that moves the balance.
    tx = _withdrawal_tx(event.tx_hash)
    if tx is not None:
        services.withdrawal_completed(withdrawal_id=_withdrawal_id(tx), tx_hash=event.tx_hash)


@on_revert("CustodialWithdrawal")
def _withdrawal_reverted(event: ChainEvent) -> None:
    tx = _withdrawal_tx(event.tx_hash)
    if tx is not None:
        services.withdrawal_completion_reverted(withdrawal_id=_withdrawal_id(tx))


@on_tx_status("withdrawFor")
def _withdrawal_sent(tx: ChainTransaction) -> None:
    if tx.status == ChainTransaction.Status.FAILED:
        services.withdrawal_failed(
            withdrawal_id=_withdrawal_id(tx), reason=tx.failure_reason or "transaction failed"
        )
