"""How chain events and sent transactions change orders."""

from chain.events import on_event, on_revert
from chain.models import ChainEvent, ChainTransaction
from chain.outbox import on_tx_status
from payments import services


@on_event("PacksPurchased")
def _purchased(event: ChainEvent) -> None:
    services.order_settle_crypto(
        purchase=services.purchase_from_event_args(event.args, tx_hash=event.tx_hash)
    )


@on_revert("PacksPurchased")
def _purchase_reverted(event: ChainEvent) -> None:
    services.order_unsettle_crypto(order_ref=str(event.args["orderRef"]), tx_hash=event.tx_hash)


@on_event("PacksMinted")
def _minted(event: ChainEvent) -> None:
    services.card_order_mint_landed(
        order_ref=str(event.args["orderRef"]),
        holder=str(event.args["to"]),
        quantity=int(event.args["quantity"]),
    )


@on_revert("PacksMinted")
def _mint_reverted(event: ChainEvent) -> None:
    services.card_order_mint_reverted(order_ref=str(event.args["orderRef"]))


@on_tx_status("mintPacks")
def _mint_status(tx: ChainTransaction) -> None:
    """A failed mint of a paid card order (paused contract, supply used up on chain) puts the
    order under review; see card_order_mint_landed."""
    if tx.status != ChainTransaction.Status.FAILED:
        return
    kind, _, rest = tx.reference.partition(":")
    order_id, _, step = rest.partition(":")
    if kind == "order" and step.split(":")[0] in ("mint", "remint") and order_id.isdigit():
        services.card_order_mint_failed(
            order_id=int(order_id), reason=tx.failure_reason or "failed"
        )
