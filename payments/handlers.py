"""How chain events change orders."""

from chain.events import on_event, on_revert
from chain.models import ChainEvent
from payments import services


@on_event("PacksPurchased")
def _purchased(event: ChainEvent) -> None:
    services.order_settle_crypto(
        purchase=services.purchase_from_event_args(event.args, tx_hash=event.tx_hash)
    )


@on_revert("PacksPurchased")
def _purchase_reverted(event: ChainEvent) -> None:
    services.order_unsettle_crypto(order_ref=str(event.args["orderRef"]))
