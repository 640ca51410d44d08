"""Prometheus metrics (prometheus-client): request counts and latencies per route, and the
business state operators watch (orders by status, chain transactions by status, openings
waiting for randomness, the outbox's oldest unsent transaction), read at scrape time.

Under gunicorn each worker is a process: with PROMETHEUS_MULTIPROC_DIR set (the entry script
sets it) request metrics are aggregated across workers. `/metrics` is not public: it needs
`Authorization: Bearer <METRICS_TOKEN>` or a staff session."""

import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from core.errors import error_body

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route(request: HttpRequest) -> str:
    """The URL pattern, not the path: ids must not explode the label set."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + str(match.route)


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "OTHER"
        REQUEST_SECONDS.labels(method, _route(request), str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


class BusinessCollector:
    """Gauges computed from the database at scrape time (a few indexed COUNTs)."""

    def collect(self) -> Iterator[Metric]:
        from chain.models import ChainTransaction
        from payments.models import Order
        from trackpacks.models import Pack, PackStatus

        yield _by_status("trackpacks_orders", "Orders by status.", Order.objects.values("status"))
        yield _by_status(
            "trackpacks_chain_transactions",
            "Outbox transactions by status.",
            ChainTransaction.objects.values("status"),
        )
        waiting = GaugeMetricFamily(
            "trackpacks_openings_awaiting_randomness",
            "Packs whose opening waits for the VRF callback.",
        )
        waiting.add_metric([], Pack.objects.filter(status=PackStatus.OPENING).count())
        yield waiting
        unsent = ChainTransaction.objects.filter(
            status__in=[ChainTransaction.Status.QUEUED, ChainTransaction.Status.SENT]
        ).aggregate(oldest=Min("created_at"))["oldest"]
        age = GaugeMetricFamily(
            "trackpacks_outbox_oldest_unconfirmed_seconds",
            "Age of the oldest queued or sent (not yet mined) outbox transaction.",
        )
        age.add_metric([], (timezone.now() - unsent).total_seconds() if unsent else 0.0)
        yield age


def _by_status(name: str, documentation: str, rows: Iterable[object]) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation, labels=["status"])
    counted = rows.annotate(n=Count("pk")).order_by()  # type: ignore[attr-defined]
    for row in counted:
        gauge.add_metric([row["status"]], row["n"])
    return gauge


class _ThisProcess:
    """The process's own metrics, when not aggregating across gunicorn workers."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        body = error_body("not_authenticated", "Metrics need the metrics token or a staff login.")
        return JsonResponse(
            body, status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(BusinessCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
