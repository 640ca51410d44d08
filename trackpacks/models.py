from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import Uint256Field
from core.models import TimeStampedModel

# The contract keeps pack token ids above every song id: pack id = PACK_ID_OFFSET + batch id.
PACK_ID_OFFSET = 1 << 128
SONGS_PER_PACK = 5
MAX_POOL_SIZE = 64


class Rarity(models.TextChoices):
    COMMON = "common"
    RARE = "rare"
    EPIC = "epic"
    LEGENDARY = "legendary"


RARITY_TIER = {Rarity.COMMON: 0, Rarity.RARE: 1, Rarity.EPIC: 2, Rarity.LEGENDARY: 3}
DEFAULT_RARITY_WEIGHT = {Rarity.COMMON: 60, Rarity.RARE: 25, Rarity.EPIC: 12, Rarity.LEGENDARY: 3}


class ChainStatus(models.TextChoices):
    """Whether the on-chain registration sent through the outbox has been confirmed."""

    PENDING = "pending"
    REGISTERED = "registered"
    FAILED = "failed"


class Song(TimeStampedModel):
    token_id = models.PositiveBigIntegerField(unique=True)
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200, db_index=True)
    rarity = models.CharField(max_length=16, choices=Rarity.choices, db_index=True)
    description = models.TextField(blank=True)
    # Links typed in by hand (legacy); uploaded media below take their place in metadata.
    image_url = models.URLField(max_length=500, blank=True)
    audio_url = models.URLField(max_length=500, blank=True)
    # Uploaded media, checked for type and size; the CID is the content hash (ipfs/unixfs.py).
    image = models.FileField(upload_to="songs/images/", max_length=300, blank=True)
    image_type = models.CharField(max_length=50, blank=True)
    image_cid = models.CharField(max_length=100, blank=True)
    audio = models.FileField(upload_to="songs/audio/", max_length=300, blank=True)
    audio_type = models.CharField(max_length=50, blank=True)
    audio_cid = models.CharField(max_length=100, blank=True)
    # Set by the freeze of the first batch holding the song: its metadata JSON is fixed from
    # then on (uri(id) on chain points at it) and its media and metadata fields cannot change.
    frozen_by = models.ForeignKey(
        "Batch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    metadata_cid = models.CharField(max_length=100, blank=True)
    chain_status = models.CharField(
        max_length=16, choices=ChainStatus.choices, default=ChainStatus.PENDING
    )

    class Meta:
        ordering = ["token_id"]
        constraints = [
            models.CheckConstraint(condition=Q(token_id__gt=0), name="song_token_id_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.artist} - {self.title}"


class Batch(TimeStampedModel):
    """A release of `supply` packs. Its id is also the on-chain batch id."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    price_wei = Uint256Field()
    supply = models.PositiveIntegerField()
    # Packs neither sold nor held by an unexpired order. Only conditional UPDATEs change it.
    available = models.PositiveIntegerField()
    # The label's switch. Orders are taken only while it is on and now is inside the window
    # [sale_starts_at, sale_ends_at) (UTC; an empty end never ends). The contract holds the same
    # window for `buyPacks`; services keep the two in step through the outbox.
    sale_open = models.BooleanField(default=True)
    sale_starts_at = models.DateTimeField(null=True, blank=True)
    sale_ends_at = models.DateTimeField(null=True, blank=True)
    chain_status = models.CharField(
        max_length=16, choices=ChainStatus.choices, default=ChainStatus.PENDING
    )
    # The IPFS freeze: the directory holding `{id}.json` for every token of the batch, which
    # becomes those tokens' base URI on chain (`setTokenURIs`).
    frozen_at = models.DateTimeField(null=True, blank=True)
    metadata_cid = models.CharField(max_length=100, blank=True)
    songs: "models.ManyToManyField[Song, PoolEntry]" = models.ManyToManyField(
        Song, through="PoolEntry", related_name="batches"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "batches"
        permissions = [("control_sale", "Can open, close, schedule and reprice a sale")]
        constraints = [
            models.CheckConstraint(
                condition=Q(sale_starts_at__isnull=True)
                | Q(sale_ends_at__isnull=True)
                | Q(sale_ends_at__gt=models.F("sale_starts_at")),
                name="batch_sale_ends_after_start",
                violation_error_message="The sale must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(price_cents__gt=0), name="batch_price_cents_positive"
            ),
            models.CheckConstraint(condition=Q(supply__gt=0), name="batch_supply_positive"),
            models.CheckConstraint(
                condition=Q(available__lte=models.F("supply")), name="batch_available_within_supply"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def pack_token_id(self) -> int:
        return PACK_ID_OFFSET + self.pk


class PoolEntry(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="pool")
    song = models.ForeignKey(Song, on_delete=models.PROTECT, related_name="pool_entries")
    weight = models.PositiveIntegerField()

    class Meta:
        ordering = ["batch_id", "song__token_id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "song"], name="pool_entry_unique_song"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="pool_entry_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.song} x{self.weight}"


class Custody(models.TextChoices):
    CUSTODIAL = "custodial"
    SELF = "self"


class PackStatus(models.TextChoices):
    UNOPENED = "unopened"
    OPENING = "opening"
    OPENED = "opened"
    VOID = "void"  # its order was refunded before it was opened


class Pack(TimeStampedModel):
    """One pack token held for a user. On chain packs of a batch are fungible; a pack row is
    matched to the chain by (holder address, batch) when it is opened."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="packs"
    )
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="packs")
    order = models.ForeignKey(
        "payments.Order", on_delete=models.PROTECT, related_name="packs", null=True, blank=True
    )
    custody = models.CharField(max_length=16, choices=Custody.choices)
    holder_address = models.CharField(max_length=42, db_index=True)
    status = models.CharField(
        max_length=16, choices=PackStatus.choices, default=PackStatus.UNOPENED, db_index=True
    )
    # Self-custody packs: the owner asked to open it and its wallet has until then to send
    # `openPack`; the pack stays unopened until the chain says otherwise.
    open_intent_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["holder_address", "batch", "status"])]

    def __str__(self) -> str:
        return f"Pack {self.pk} of {self.batch_id} ({self.status})"


class Opening(TimeStampedModel):
    """The opening of one pack: its VRF request and, once fulfilled, the 5 songs drawn.

    `request_id` is the live request: a `retryOpen` moves it to the new id (the old one is void
    on chain) and appends `{old_request_id, new_request_id, tx_hash}` to `retries`."""

    pack = models.OneToOneField(Pack, on_delete=models.PROTECT, related_name="opening")
    request_id = Uint256Field(unique=True, null=True, blank=True)
    requested_tx_hash = models.CharField(max_length=66, blank=True)
    # When the live request was indexed (never earlier than its block): the stuck clock.
    requested_at = models.DateTimeField(null=True, blank=True)
    retries = models.JSONField(default=list, blank=True)
    random_word = Uint256Field(null=True, blank=True)
    fulfilled_tx_hash = models.CharField(max_length=66, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    songs: "models.ManyToManyField[Song, RevealedSong]" = models.ManyToManyField(
        Song, through="RevealedSong", related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Opening of pack {self.pack_id}"


class RevealedSong(models.Model):
    opening = models.ForeignKey(Opening, on_delete=models.CASCADE, related_name="revealed")
    song = models.ForeignKey(Song, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["opening_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["opening", "position"], name="revealed_song_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.song}"


class WithdrawalStatus(models.TextChoices):
    PENDING = "pending"  # in the outbox or on its way; its amount is held back
    COMPLETED = "completed"  # the transfer is indexed: the songs are in the fan's wallet
    FAILED = "failed"


class Withdrawal(TimeStampedModel):
    """Custodial song NFTs moved to the owner's linked wallet by the operator (`withdrawFor`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals"
    )
    song = models.ForeignKey(Song, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveIntegerField()
    from_address = models.CharField(max_length=42)
    to_address = models.CharField(max_length=42)
    status = models.CharField(
        max_length=16,
        choices=WithdrawalStatus.choices,
        default=WithdrawalStatus.PENDING,
        db_index=True,
    )
    tx_hash = models.CharField(max_length=66, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=1), name="withdrawal_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Withdrawal {self.pk} of {self.amount} x {self.song_id} ({self.status})"
