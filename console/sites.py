"""The admin site of the console: the dashboard on the index page, reports, chain operations
and a throttled login. Every write goes through a service; this module only routes."""

import csv
import math
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from chain import services as chain_services
from console import selectors
from console.charts import packs_by_method_svg
from console.throttles import admin_login_wait
from core.errors import ApplicationError

SALES_COLUMNS = [
    "batch_id",
    "name",
    "currency",
    "supply",
    "available",
    "packs_card",
    "packs_crypto",
    "packs_refunded",
    "revenue_cents",
    "revenue_wei",
    "sale_open",
    "sale_starts_at",
    "sale_ends_at",
]


class ConsoleAdminSite(admin.AdminSite):
    site_header = "TrackPacks console"
    site_title = "TrackPacks console"
    index_title = "Drops"
    index_template = "console/index.html"

    def get_urls(self) -> list[Any]:
        mine: list[URLPattern] = [
            path("reports/sales.csv", self.admin_view(self.sales_csv), name="console_sales_csv"),
            path("contract/", self.admin_view(self.contract_view), name="console_contract"),
        ]
        return mine + super().get_urls()

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = dict(extra_context or {})
        if request.user.has_perm("payments.view_dashboard"):
            data = selectors.dashboard()
            context["dashboard"] = data
            context["sold_chart"] = packs_by_method_svg(data["sold_by_day"])
            context["can_export"] = request.user.has_perm("payments.export_sales")
            context["can_operate"] = request.user.has_perm("chain.operate_contract")
        return super().index(request, context)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method == "POST":
            wait = admin_login_wait(request)
            if wait is not None:
                response = TemplateResponse(
                    request,
                    "console/throttled.html",
                    {**self.each_context(request), "wait": math.ceil(wait)},
                    status=429,
                )
                response["Retry-After"] = str(math.ceil(wait))
                return response
        return super().login(request, extra_context)

    def sales_csv(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("payments.export_sales"):
            raise PermissionDenied
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="sales-{stamp}.csv"'
        writer = csv.DictWriter(response, fieldnames=SALES_COLUMNS)
        writer.writeheader()
        for row in selectors.sales_by_batch():
            # A leading = + - @ would be a formula in a spreadsheet: names are user input.
            if str(row["name"])[:1] in ("=", "+", "-", "@"):
                row["name"] = "'" + str(row["name"])
            writer.writerow(row)
        return response

    def contract_view(self, request: HttpRequest) -> Any:
        """Pause, unpause and withdraw proceeds to the treasury; balances with warnings."""
        can_operate = request.user.has_perm("chain.operate_contract")
        if not (can_operate or request.user.has_perm("payments.view_dashboard")):
            raise PermissionDenied
        if request.method == "POST":
            if not can_operate:
                raise PermissionDenied
            return self._contract_action(request)
        context = {
            **self.each_context(request),
            "title": "Contract",
            "chain": selectors.chain_state(),
            "treasury": _treasury_or_error(),
            "can_operate": can_operate,
        }
        return TemplateResponse(request, "console/contract.html", context)

    def _contract_action(self, request: HttpRequest) -> HttpResponseRedirect:
        operation = request.POST.get("operation")
        try:
            if operation == "pause":
                tx = chain_services.contract_pause_set(paused=True)
            elif operation == "unpause":
                tx = chain_services.contract_pause_set(paused=False)
            elif operation == "withdraw":
                tx = chain_services.contract_proceeds_withdraw()
            else:
                raise ApplicationError("Unknown operation.", code="invalid_operation")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{tx.function} queued in the outbox (#{tx.pk}).")
        return HttpResponseRedirect(reverse("admin:console_contract"))


def _treasury_or_error() -> str:
    try:
        return chain_services.treasury_address()
    except ApplicationError as exc:
        return f"({exc.message})"
