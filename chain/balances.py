"""Built-in appliers: ERC-1155 balances from TransferSingle / TransferBatch (and their undo)."""

from decimal import Decimal

from django.db.models import F

from chain.events import on_event, on_revert
from chain.models import ChainEvent, TokenBalance

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def _add(address: str, token_id: str, amount: Decimal) -> None:
    if address == ZERO_ADDRESS or amount == 0:
        return
    TokenBalance.objects.get_or_create(address=address, token_id=int(token_id))
    TokenBalance.objects.filter(address=address, token_id=int(token_id)).update(
        balance=F("balance") + amount
    )


def _transfers(event: ChainEvent) -> list[tuple[str, str, str, str]]:
    args = event.args
    if event.event_name == "TransferSingle":
        return [(args["from"], args["to"], args["id"], args["value"])]
    return [
        (args["from"], args["to"], token_id, value)
        for token_id, value in zip(args["ids"], args["values"], strict=True)
    ]


def _apply(event: ChainEvent, sign: int) -> None:
    for sender, receiver, token_id, value in _transfers(event):
        amount = Decimal(value) * sign
        _add(sender, token_id, -amount)
        _add(receiver, token_id, amount)


@on_event("TransferSingle")
@on_event("TransferBatch")
def transfer_applied(event: ChainEvent) -> None:
    _apply(event, 1)


@on_revert("TransferSingle")
@on_revert("TransferBatch")
def transfer_reverted(event: ChainEvent) -> None:
    _apply(event, -1)
