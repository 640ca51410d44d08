from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from trackpacks import services
from trackpacks.models import Batch, Opening, Pack, PoolEntry, RevealedSong, Song


@admin.register(Song)
class SongAdmin(admin.ModelAdmin[Song]):
    list_display = ["token_id", "title", "artist", "rarity", "chain_status", "created_at"]
    list_filter = ["rarity", "chain_status"]
    search_fields = ["title", "artist", "=token_id"]
    readonly_fields = ["chain_status", "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Song | None = None) -> Any:
        # A registered token id is permanent on chain.
        return [*self.readonly_fields, "token_id", "rarity"] if obj else self.readonly_fields

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Song, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.song_register_on_chain(song=obj)


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
    ]
    list_filter = ["sale_open", "chain_status", "currency"]
    search_fields = ["name"]
    inlines = [PoolEntryInline]
    readonly_fields = ["available", "chain_status", "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Batch | None = None) -> Any:
        fixed = ["price_wei", "supply", "price_cents", "currency"]
        return [*self.readonly_fields, *fixed] if obj else self.readonly_fields

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
