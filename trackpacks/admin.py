from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db.models import QuerySet
from django.http import HttpRequest

from console.forms import ServiceModelAdmin, ServiceModelForm, service_errors_to_messages
from core.errors import ApplicationError
from ipfs.admin import BatchPinInline
from ipfs.media import media_inspect
from trackpacks import freeze, services
from trackpacks.models import Batch, Opening, Pack, PoolEntry, RevealedSong, Song, Withdrawal

SALE_FIELDS = ("sale_open", "sale_starts_at", "sale_ends_at")
PRICE_FIELDS = ("price_cents", "price_wei")
BATCH_ADD_FIELDS = ["name", "description", "price_cents", "currency", "price_wei", "supply"]
# What a song's metadata document holds: fixed once a batch holding the song is frozen.
SONG_METADATA_FIELDS = ["token_id", "title", "artist", "rarity", "description"]
SONG_ADD_FIELDS = [*SONG_METADATA_FIELDS, "image_url", "audio_url"]
SONG_CHANGE_FIELDS = ["title", "artist", "description", "image_url", "audio_url"]
SONG_MEDIA_FIELDS = [
    "image_cid",
    "image_type",
    "audio_cid",
    "audio_type",
    "frozen_by",
    "metadata_cid",
]


class SongFormBase(ServiceModelForm):
    """Song metadata through song_create / song_update, uploads through song_media_set."""

    image_upload = forms.FileField(
        required=False, label="Cover image", help_text="PNG, JPEG, GIF, WebP or SVG."
    )
    audio_upload = forms.FileField(
        required=False, label="Audio", help_text="WAV, MP3, OGG, FLAC or M4A."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and self.instance.frozen_by_id is not None:
            raise forms.ValidationError(
                "This song's media and metadata are frozen on IPFS: its batch was frozen."
            )
        for kind in ("image", "audio"):
            upload = data.get(f"{kind}_upload")
            if upload is None:
                continue
            try:
                media_inspect(kind=kind, content=upload.read())
            except ApplicationError as exc:
                self.add_error(f"{kind}_upload", exc.message)
            upload.seek(0)
        return data

    def _media_set(self, song: Song) -> Song:
        image = self.cleaned_data.get("image_upload")
        audio = self.cleaned_data.get("audio_upload")
        if image or audio:
            return freeze.song_media_set(song_id=song.pk, image=image, audio=audio)
        return song


class SongAddForm(SongFormBase):
    class Meta:
        model = Song
        fields = SONG_ADD_FIELDS

    def apply(self) -> Song:
        song = services.song_create(**{name: self.cleaned_data[name] for name in SONG_ADD_FIELDS})
        return self._media_set(song)


class SongChangeForm(SongFormBase):
    class Meta:
        model = Song
        fields = SONG_CHANGE_FIELDS

    def apply(self) -> Song:
        song = services.song_update(
            song_id=self.instance.pk,
            **{name: self.cleaned_data[name] for name in SONG_CHANGE_FIELDS},
        )
        return self._media_set(song)


@admin.register(Song)
class SongAdmin(ServiceModelAdmin):
    list_display = ["token_id", "title", "artist", "rarity", "frozen_by", "chain_status"]
    list_filter = ["rarity", "chain_status"]
    search_fields = ["title", "artist", "=token_id"]
    readonly_fields = ["chain_status", *SONG_MEDIA_FIELDS, "created_at", "updated_at"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = SongChangeForm if obj else SongAddForm
        if obj and obj.frozen_by_id is not None:
            kwargs["fields"] = []  # nothing editable, uploads included
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Song | None = None) -> Any:
        if obj and obj.frozen_by_id is not None:
            return [*self.readonly_fields, *SONG_METADATA_FIELDS, "image_url", "audio_url"]
        # A registered token id is permanent on chain.
        return [*self.readonly_fields, "token_id", "rarity"] if obj else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj and obj.frozen_by_id is not None:
            return self.get_readonly_fields(request, obj)
        fields = SONG_CHANGE_FIELDS if obj else SONG_ADD_FIELDS
        return [*fields, "image_upload", "audio_upload", *self.get_readonly_fields(request, obj)]

    def has_delete_permission(self, request: HttpRequest, obj: Song | None = None) -> bool:
        return False  # a song is registered on chain for good


def _parse_weights(text: str) -> dict[int, int]:
    weights: dict[int, int] = {}
    for line in text.replace(",", "\n").splitlines():
        if not line.strip():
            continue
        token, sep, weight = line.partition("=")
        if not sep or not token.strip().isdigit() or not weight.strip().isdigit():
            raise forms.ValidationError(f"Write each weight as token_id=weight, not {line!r}.")
        weights[int(token)] = int(weight)
    return weights


class BatchAddForm(ServiceModelForm):
    pool = forms.ModelMultipleChoiceField(
        queryset=Song.objects.all(),
        widget=FilteredSelectMultiple("songs", is_stacked=False),
        help_text="The songs a pack can hold (5 of them per pack, drawn by weight).",
    )
    weights = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, one per line: token_id=weight. Others get their rarity's default.",
    )

    class Meta:
        model = Batch
        fields = [*BATCH_ADD_FIELDS, *SALE_FIELDS]
        help_texts = {
            "sale_starts_at": "UTC. Empty: from now, while the sale is open.",
            "sale_ends_at": "UTC. Empty: until closed.",
        }

    def clean_weights(self) -> dict[int, int]:
        return _parse_weights(self.cleaned_data.get("weights") or "")

    def apply(self) -> Batch:
        data = self.cleaned_data
        weights = data["weights"]
        unknown = set(weights) - {song.token_id for song in data["pool"]}
        if unknown:
            raise ApplicationError(
                f"Weights given for songs not in the pool: {sorted(unknown)}.", code="invalid_pool"
            )
        return services.batch_create(
            pool=[
                services.PoolItem(song=song, weight=weights.get(song.token_id))
                for song in data["pool"]
            ],
            **{name: data[name] for name in (*BATCH_ADD_FIELDS, *SALE_FIELDS)},
        )


class BatchChangeForm(ServiceModelForm):
    class Meta:
        model = Batch
        fields = ["name", "description", *SALE_FIELDS, *PRICE_FIELDS]

    def apply(self) -> Batch:
        data, changed, batch_id = self.cleaned_data, set(self.changed_data), self.instance.pk
        batch: Batch = self.instance
        if changed & {"name", "description"}:
            batch = services.batch_update(
                batch_id=batch_id, name=data["name"], description=data["description"]
            )
        if changed & set(SALE_FIELDS):
            batch = services.batch_sale_window_set(
                batch_id=batch_id, **{name: data[name] for name in SALE_FIELDS}
            )
        if changed & set(PRICE_FIELDS):
            batch = services.batch_price_set(
                batch_id=batch_id, price_cents=data["price_cents"], price_wei=data["price_wei"]
            )
        return batch


class PoolEntryInline(admin.TabularInline[PoolEntry, Batch]):
    """Read-only: the pool is fixed on chain once the batch exists."""

    model = PoolEntry
    fields = ["song", "weight"]
    readonly_fields = ["song", "weight"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description="Open the sale now (on chain too)", permissions=["control_sale"])
def open_sale_now(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Batch]) -> None:
    service_errors_to_messages(
        request,
        queryset,
        lambda batch: services.batch_sale_open_now(batch_id=batch.pk),
        "Sales opened",
    )


@admin.action(description="Close the sale now (on chain too)", permissions=["control_sale"])
def close_sale_now(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Batch]) -> None:
    service_errors_to_messages(
        request,
        queryset,
        lambda batch: services.batch_sale_close(batch_id=batch.pk),
        "Sales closed",
    )


@admin.register(Batch)
class BatchAdmin(ServiceModelAdmin):
    list_display = [
        "id",
        "name",
        "price_cents",
        "currency",
        "supply",
        "available",
        "sale_open",
        "sale_starts_at",
        "sale_ends_at",
        "chain_status",
    ]
    list_filter = ["sale_open", "chain_status", "currency"]
    search_fields = ["name"]
    actions = [open_sale_now, close_sale_now, "freeze_on_ipfs"]
    readonly_fields = [
        "available",
        "chain_status",
        "frozen_at",
        "metadata_cid",
        "created_at",
        "updated_at",
    ]

    def has_control_sale_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("trackpacks.control_sale")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = BatchChangeForm if obj else BatchAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [*BatchAddForm.Meta.fields, "pool", "weights"]
        return [*BatchChangeForm.Meta.fields, "supply", "currency", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Batch | None = None) -> Any:
        if obj is None:
            return []
        fixed = [*self.readonly_fields, "supply", "currency"]
        if obj.frozen_at is not None:
            fixed += ["name", "description"]  # both are in the pack token's frozen metadata
        if not self.has_control_sale_permission(request):
            fixed += [*SALE_FIELDS, *PRICE_FIELDS]  # sale control is its own permission
        return fixed

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [PoolEntryInline, BatchPinInline] if obj else []

    @admin.action(
        description="Freeze on IPFS (pin media and metadata, set token URIs on chain)",
        permissions=["change"],
    )
    def freeze_on_ipfs(self, request: HttpRequest, queryset: QuerySet[Batch]) -> None:
        for batch in queryset.order_by("pk"):
            try:
                frozen = freeze.batch_freeze_request(batch_id=batch.pk)
            except ApplicationError as exc:
                details = f" ({exc.details})" if exc.details else ""
                self.message_user(
                    request, f"{batch}: not frozen. {exc.message}{details}", messages.ERROR
                )
                continue
            if frozen is None:
                self.message_user(
                    request,
                    f"{batch}: pinning on Pinata in the background; see its pin status below.",
                    messages.INFO,
                )
                continue
            self.message_user(
                request,
                f"{batch}: frozen, base URI ipfs://{frozen.metadata_cid}/ queued on chain.",
                messages.SUCCESS,
            )


class RevealedSongInline(admin.TabularInline[RevealedSong, Opening]):
    model = RevealedSong
    readonly_fields = ["song", "position"]
    can_delete = False
    extra = 0


@admin.register(Pack)
class PackAdmin(admin.ModelAdmin[Pack]):
    list_display = ["id", "owner", "batch", "custody", "status", "holder_address", "created_at"]
    list_filter = ["status", "custody", "batch"]
    search_fields = ["owner__email", "holder_address"]
    list_select_related = ["owner", "batch"]
    readonly_fields = [f.name for f in Pack._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Opening)
class OpeningAdmin(admin.ModelAdmin[Opening]):
    list_display = ["id", "pack", "request_id", "revealed_at", "created_at"]
    search_fields = ["=request_id", "requested_tx_hash"]
    readonly_fields = [f.name for f in Opening._meta.fields]
    inlines = [RevealedSongInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin[Withdrawal]):
    list_display = ["id", "user", "song", "amount", "to_address", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["user__email", "to_address", "tx_hash"]
    list_select_related = ["user", "song"]
    readonly_fields = [f.name for f in Withdrawal._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
