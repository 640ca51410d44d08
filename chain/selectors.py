from django.db.models import QuerySet
from web3 import Web3

from chain.models import ChainTransaction, IndexerCursor, TokenBalance


def token_balances_for(*, addresses: list[str]) -> QuerySet[TokenBalance]:
    """Indexed ERC-1155 balances (non-zero) of the given addresses."""
    checksummed = [Web3.to_checksum_address(a) for a in addresses]
    return TokenBalance.objects.filter(address__in=checksummed, balance__gt=0).order_by(
        "address", "token_id"
    )


def chain_tx_get(*, reference: str) -> ChainTransaction | None:
    return ChainTransaction.objects.filter(reference=reference).first()


def indexer_cursor_get(*, chain_id: int, address: str) -> IndexerCursor | None:
    return IndexerCursor.objects.filter(chain_id=chain_id, address=address).first()


def token_balance_of(*, address: str, token_id: int) -> int:
    """One indexed ERC-1155 balance (0 when the address never held the token)."""
    row = TokenBalance.objects.filter(
        address=Web3.to_checksum_address(address), token_id=token_id
    ).first()
    return int(row.balance) if row else 0
