from django.db import models

from core.models import TimeStampedModel


class PinStatus(models.TextChoices):
    PENDING = "pending"
    PINNED = "pinned"
    FAILED = "failed"


class PinProvider(models.TextChoices):
    LOCAL = "local"  # the local pin store only (no pinning service configured)
    PINATA = "pinata"


class IpfsObject(TimeStampedModel):
    """One piece of content addressed by its CID and whether it is pinned. Pinning is keyed
    by CID: content shared by several batches is one row, pinned once."""

    class Kind(models.TextChoices):
        FILE = "file"
        JSON = "json"
        DIRECTORY = "directory"

    cid = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    label = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(help_text="Content bytes (a directory: all its files).")
    pin_status = models.CharField(
        max_length=16, choices=PinStatus.choices, default=PinStatus.PENDING, db_index=True
    )
    provider = models.CharField(max_length=16, choices=PinProvider.choices, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    batches = models.ManyToManyField("trackpacks.Batch", related_name="ipfs_objects", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "IPFS object"

    def __str__(self) -> str:
        return f"{self.label} ({self.cid})"

    @property
    def uri(self) -> str:
        return f"ipfs://{self.cid}"
