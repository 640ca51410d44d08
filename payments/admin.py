from django.contrib import admin
from django.http import HttpRequest

from payments.models import Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = [
        "id",
        "user",
        "batch",
        "quantity",
        "method",
        "status",
        "amount_cents",
        "created_at",
    ]
    list_filter = ["status", "method", "batch"]
    search_fields = ["=order_ref", "user__email", "tx_hash"]
    list_select_related = ["user", "batch"]
    readonly_fields = [f.name for f in Order._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
