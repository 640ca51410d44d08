from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chain import services
from chain.models import ChainEvent, ChainTransaction, ChainTransactionAttempt, IndexerCursor
from console.forms import service_errors_to_messages


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ChainTransactionAttempt
    extra = 0
    can_delete = False
    readonly_fields = (
        "tx_hash",
        "nonce",
        "max_fee_per_gas",
        "max_priority_fee_per_gas",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description="Retry (failed: queue again; waiting: try now)", permissions=["retry"])
def retry(modeladmin: Any, request: HttpRequest, queryset: QuerySet[ChainTransaction]) -> None:
    service_errors_to_messages(
        request, queryset, lambda tx: services.chain_tx_retry(tx_id=tx.pk), "Retried"
    )


@admin.action(
    description="Cancel (unsent: drop; sent: replace its nonce with a no-op)",
    permissions=["cancel"],
)
def cancel(modeladmin: Any, request: HttpRequest, queryset: QuerySet[ChainTransaction]) -> None:
    service_errors_to_messages(
        request, queryset, lambda tx: services.chain_tx_cancel(tx_id=tx.pk), "Cancelled"
    )


@admin.register(ChainTransaction)
class ChainTransactionAdmin(ReadOnlyAdmin):
    actions = [retry, cancel]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("chain.retry_chaintransaction")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("chain.cancel_chaintransaction")

    list_display = (
        "id",
        "function",
        "sender_role",
        "status",
        "nonce",
        "tx_hash",
        "attempts",
        "failure_reason",
        "created_at",
    )
    list_filter = ("status", "sender_role", "function")
    search_fields = ("tx_hash", "reference", "attempts_log__tx_hash")
    exclude = ("raw_tx",)
    inlines = (AttemptInline,)
    date_hierarchy = "created_at"


@admin.register(ChainEvent)
class ChainEventAdmin(ReadOnlyAdmin):
    list_display = ("event_name", "block_number", "tx_hash", "log_index", "created_at")
    list_filter = ("event_name",)
    search_fields = ("tx_hash",)


@admin.register(IndexerCursor)
class IndexerCursorAdmin(ReadOnlyAdmin):
    list_display = ("chain_id", "address", "last_block", "updated_at")
