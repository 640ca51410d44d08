from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from ipfs.models import IpfsObject, PinStatus
from ipfs.services import ipfs_objects_pin


@admin.register(IpfsObject)
class IpfsObjectAdmin(admin.ModelAdmin[IpfsObject]):
    list_display = [
        "label",
        "cid",
        "kind",
        "size",
        "pin_status",
        "provider",
        "attempts",
        "pinned_at",
        "last_error",
    ]
    list_filter = ["pin_status", "provider", "kind"]
    search_fields = ["=cid", "label"]
    readonly_fields = [f.name for f in IpfsObject._meta.fields] + ["gateway_link"]
    exclude = ["batches"]
    actions = ["pin_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a pin record is the only trace of what was published

    @admin.display(description="Content")
    def gateway_link(self, obj: IpfsObject) -> str:
        return format_html('<a href="/ipfs/{}/">/ipfs/{}</a>', obj.cid, obj.cid)

    @admin.action(description="Pin again (failed or pending objects)")
    def pin_again(self, request: HttpRequest, queryset: QuerySet[IpfsObject]) -> None:
        todo = list(queryset.exclude(pin_status=PinStatus.PINNED))
        failed = ipfs_objects_pin(objects=todo)
        if failed:
            self.message_user(
                request,
                f"{len(failed)} of {len(todo)} could not be pinned; see their last error.",
                messages.ERROR,
            )
        else:
            self.message_user(request, f"{len(todo)} pinned.", messages.SUCCESS)


class BatchPinInline(admin.TabularInline):  # type: ignore[type-arg]
    """The pin status of every object a batch's freeze published."""

    model = IpfsObject.batches.through
    verbose_name = "IPFS object"
    verbose_name_plural = "IPFS objects (pin status)"
    fields = ["label", "cid", "pin_status", "provider", "last_error"]
    readonly_fields = ["label", "cid", "pin_status", "provider", "last_error"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("ipfsobject")

    @admin.display(description="Object")
    def label(self, row: Any) -> str:
        return str(row.ipfsobject.label)

    @admin.display(description="CID")
    def cid(self, row: Any) -> str:
        return str(row.ipfsobject.cid)

    @admin.display(description="Pin status")
    def pin_status(self, row: Any) -> str:
        return str(row.ipfsobject.pin_status)

    @admin.display(description="Provider")
    def provider(self, row: Any) -> str:
        return str(row.ipfsobject.provider)

    @admin.display(description="Last error")
    def last_error(self, row: Any) -> str:
        return str(row.ipfsobject.last_error)
