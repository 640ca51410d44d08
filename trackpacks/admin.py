from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from core.errors import ApplicationError
from ipfs.admin import BatchPinInline
from ipfs.media import media_inspect
from trackpacks import freeze, services
from trackpacks.models import Batch, Opening, Pack, PoolEntry, RevealedSong, Song

# What a song's metadata document holds: fixed once a batch holding the song is frozen.
SONG_METADATA_FIELDS = ["token_id", "title", "artist", "rarity", "description"]
SONG_MEDIA_FIELDS = [
    "image_cid",
    "image_type",
    "audio_cid",
    "audio_type",
    "frozen_by",
    "metadata_cid",
]


class SongAdminForm(forms.ModelForm[Song]):
    image_upload = forms.FileField(
        required=False, label="Cover image", help_text="PNG, JPEG, GIF, WebP or SVG."
    )
    audio_upload = forms.FileField(
        required=False, label="Audio", help_text="WAV, MP3, OGG, FLAC or M4A."
    )

    class Meta:
        model = Song
        fields = [*SONG_METADATA_FIELDS, "image_url", "audio_url"]

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


@admin.register(Song)
class SongAdmin(admin.ModelAdmin[Song]):
    form = SongAdminForm
    list_display = ["token_id", "title", "artist", "rarity", "frozen_by", "chain_status"]
    list_filter = ["rarity", "chain_status"]
    search_fields = ["title", "artist", "=token_id"]
    readonly_fields = ["chain_status", *SONG_MEDIA_FIELDS, "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Song | None = None) -> Any:
        if obj and obj.frozen_by_id is not None:
            return [*self.readonly_fields, *SONG_METADATA_FIELDS, "image_url", "audio_url"]
        # A registered token id is permanent on chain.
        return [*self.readonly_fields, "token_id", "rarity"] if obj else self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj and obj.frozen_by_id is not None:
            kwargs["fields"] = []  # nothing editable, uploads included
        return super().get_form(request, obj, change=change, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Song | None = None) -> bool:
        return (obj is None or obj.frozen_by_id is None) and super().has_delete_permission(
            request, obj
        )

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Song, form: Any, change: bool) -> None:
        if change:
            locked = Song.objects.select_for_update().get(pk=obj.pk)
            if locked.frozen_by_id is not None:
                raise PermissionDenied("This song was frozen while you edited it.")
        super().save_model(request, obj, form, change)
        if not change:
            services.song_register_on_chain(song=obj)
        image, audio = form.cleaned_data.get("image_upload"), form.cleaned_data.get("audio_upload")
        if image or audio:
            freeze.song_media_set(song_id=obj.pk, image=image, audio=audio)


class PoolEntryInline(admin.TabularInline[PoolEntry, Batch]):
    model = PoolEntry
    autocomplete_fields = ["song"]
    extra = 5

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None  # the pool is fixed on chain once the batch exists

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin[Batch]):
    list_display = [
        "id",
        "name",
        "price_cents",
        "currency",
        "supply",
        "available",
        "sale_open",
        "chain_status",
        "frozen_at",
    ]
    list_filter = ["sale_open", "chain_status", "currency"]
    search_fields = ["name"]
    inlines = [PoolEntryInline, BatchPinInline]
    readonly_fields = [
        "available",
        "chain_status",
        "frozen_at",
        "metadata_cid",
        "created_at",
        "updated_at",
    ]
    actions = ["freeze_on_ipfs"]

    def get_readonly_fields(self, request: HttpRequest, obj: Batch | None = None) -> Any:
        fixed = ["price_wei", "supply", "price_cents", "currency"]
        if obj and obj.frozen_at is not None:
            fixed += ["name", "description"]  # both are in the pack token's frozen metadata
        return [*self.readonly_fields, *fixed] if obj else self.readonly_fields

    @admin.action(description="Freeze on IPFS (pin media and metadata, set token URIs on chain)")
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

    def save_model(self, request: HttpRequest, obj: Batch, form: Any, change: bool) -> None:
        if not change:
            obj.available = obj.supply
        super().save_model(request, obj, form, change)

    @transaction.atomic
    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            # The pool exists only now; register the batch with it on chain (via the outbox).
            services.batch_register_on_chain(batch=form.instance)


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


@admin.register(Opening)
class OpeningAdmin(admin.ModelAdmin[Opening]):
    list_display = ["id", "pack", "request_id", "revealed_at", "created_at"]
    search_fields = ["=request_id", "requested_tx_hash"]
    readonly_fields = [f.name for f in Opening._meta.fields]
    inlines = [RevealedSongInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
