from django.db import models

from core.fields import Uint256Field
from core.models import TimeStampedModel


class ChainTransaction(TimeStampedModel):
    """One contract call the backend sends (the outbox). See `chain.outbox`."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        MINED = "mined"
        CONFIRMED = "confirmed"
        FAILED = "failed"

    chain_id = models.PositiveBigIntegerField()
    sender_role = models.CharField(max_length=16)
    sender_address = models.CharField(max_length=42, db_index=True)
    to_address = models.CharField(max_length=42)
    function = models.CharField(max_length=64, db_index=True)
    args = models.JSONField(default=list)
    calldata = models.TextField()
    value_wei = Uint256Field(default=0)
    reference = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    nonce = models.PositiveBigIntegerField(null=True, blank=True)
    gas_limit = models.PositiveBigIntegerField(null=True, blank=True)
    max_fee_per_gas = models.DecimalField(null=True, blank=True, max_digits=78, decimal_places=0)
    max_priority_fee_per_gas = models.DecimalField(
        null=True, blank=True, max_digits=78, decimal_places=0
    )
    fee_multiplier = models.PositiveIntegerField(default=1)
    # The signed bytes of the current attempt: stored before broadcasting so that a crash
    # after the broadcast re-sends the very same transaction.
    raw_tx = models.TextField(blank=True)
    tx_hash = models.CharField(max_length=66, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Timers run from signing, not broadcasting: a node that refuses the first broadcast
    # (e.g. base fee above our max fee) must still lead to a fee bump and, later, expiry.
    first_signed_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    # "Nonce too low" with no receipt for any attempt: the block at which the nonce was first
    # seen consumed. Only after CHAIN_TX_NONCE_EVIDENCE_BLOCKS more blocks without a receipt
    # is the call re-queued (a lagging node can hide a mined attempt's receipt for a while).
    nonce_consumed_seen_block = models.PositiveBigIntegerField(null=True, blank=True)
    last_broadcast_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failure_reason = models.TextField(blank=True)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    block_hash = models.CharField(max_length=66, blank=True)
    receipt_status = models.PositiveSmallIntegerField(null=True, blank=True)
    gas_used = models.PositiveBigIntegerField(null=True, blank=True)
    effective_gas_price = models.DecimalField(
        null=True, blank=True, max_digits=78, decimal_places=0
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "sender_address", "nonce"])]
        permissions = [
            ("retry_chaintransaction", "Can retry a failed chain transaction"),
            ("cancel_chaintransaction", "Can cancel a pending chain transaction"),
            ("operate_contract", "Can pause, unpause and withdraw proceeds"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "sender_address", "nonce"],
                condition=models.Q(nonce__isnull=False) & ~models.Q(status="failed"),
                name="chain_tx_unique_sender_nonce",
            )
        ]

    def __str__(self) -> str:
        return f"{self.function} [{self.reference}] {self.status}"


class ChainTransactionAttempt(models.Model):
    """Every signed transaction broadcast for a ChainTransaction (fee bumps share a nonce)."""

    transaction = models.ForeignKey(
        ChainTransaction, on_delete=models.CASCADE, related_name="attempts_log"
    )
    # Not unique on its own: a re-sent identical call (same nonce and fees) has the same hash.
    tx_hash = models.CharField(max_length=66, db_index=True)
    nonce = models.PositiveBigIntegerField()
    max_fee_per_gas = models.DecimalField(max_digits=78, decimal_places=0)
    max_priority_fee_per_gas = models.DecimalField(max_digits=78, decimal_places=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "tx_hash"], name="chain_attempt_unique_hash"
            )
        ]

    def __str__(self) -> str:
        return self.tx_hash


class SenderNonce(models.Model):
    """The nonce owner of one sender address: locked while nonces are assigned."""

    chain_id = models.PositiveBigIntegerField()
    address = models.CharField(max_length=42)
    next_nonce = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "address"], name="chain_sender_nonce_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.address}@{self.chain_id}: {self.next_nonce}"


class IndexerCursor(models.Model):
    chain_id = models.PositiveBigIntegerField()
    address = models.CharField(max_length=42)
    last_block = models.BigIntegerField()
    # Set when the indexer refuses to go on by itself (a rewind deeper than
    # CHAIN_MAX_REORG_DEPTH, no stored block matching the node, a reversal that cannot be
    # applied): history is left as it is until an operator runs `chain_indexer_resume`.
    halted_at = models.DateTimeField(null=True, blank=True)
    halt_reason = models.TextField(blank=True)
    # One deeper rewind an operator accepted with `chain_indexer_resume --accept-rewind`.
    rewind_accepted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "address"], name="chain_cursor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.address}@{self.chain_id}: {self.last_block}"


class IndexedBlock(models.Model):
    """Hash of a block the indexer relied on, to detect reorgs."""

    chain_id = models.PositiveBigIntegerField()
    number = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=66)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "number"], name="chain_block_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.hash}"


class ChainEvent(models.Model):
    chain_id = models.PositiveBigIntegerField()
    tx_hash = models.CharField(max_length=66)
    log_index = models.PositiveIntegerField()
    block_number = models.PositiveBigIntegerField(db_index=True)
    block_hash = models.CharField(max_length=66)
    contract_address = models.CharField(max_length=42)
    event_name = models.CharField(max_length=64, db_index=True)
    args = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "tx_hash", "log_index"], name="chain_event_unique"
            )
        ]
        ordering = ["block_number", "log_index"]

    def __str__(self) -> str:
        return f"{self.event_name} {self.tx_hash}:{self.log_index}"


class TokenBalance(models.Model):
    """ERC-1155 balances as of the indexed blocks (from TransferSingle/TransferBatch)."""

    address = models.CharField(max_length=42)
    token_id = Uint256Field()
    balance = models.DecimalField(default=0, max_digits=78, decimal_places=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address", "token_id"], name="chain_balance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.address} #{self.token_id}: {self.balance}"


class VrfRequest(models.Model):
    """A randomness request seen on the local mock coordinator (local fulfiller only)."""

    chain_id = models.PositiveBigIntegerField()
    request_id = Uint256Field()
    consumer = models.CharField(max_length=42)
    num_words = models.PositiveIntegerField()
    block_number = models.PositiveBigIntegerField()
    fulfilled_tx_hash = models.CharField(max_length=66, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "request_id"], name="chain_vrf_unique")
        ]

    def __str__(self) -> str:
        return f"VRF request {self.request_id}"
