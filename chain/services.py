"""Chain writes for domain code: queue contract calls, ingest a transaction's events."""

from chain.indexer import chain_ingest_transaction
from chain.outbox import chain_tx_enqueue

__all__ = ["chain_ingest_transaction", "chain_tx_enqueue"]
