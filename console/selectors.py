"""Reads for the dashboard and reports. Chain reads are best effort with a short timeout:
the dashboard shows "unknown" rather than failing when the node is away."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from web3 import Web3

from payments.models import Order, OrderStatus, PaymentMethod
from trackpacks.models import Batch, Opening

SOLD = (OrderStatus.PAID, OrderStatus.FULFILLED)
BACKLOG_STATUSES = ("queued", "sent", "mined")
CHAIN_TIMEOUT_SECONDS = 2


def packs_sold_by_day(*, days: int, today: date | None = None) -> list[tuple[date, int, int]]:
    """(day, card packs, crypto packs) for each of the last `days` days (UTC), oldest first."""
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    rows = (
        Order.objects.filter(status__in=SOLD, paid_at__date__gte=first)
        .annotate(day=TruncDate("paid_at"))
        .values("day", "method")
        .annotate(sold_packs=Sum("quantity"))
    )
    sold = {(row["day"], row["method"]): int(row["sold_packs"]) for row in rows}
    return [
        (
            day,
            sold.get((day, PaymentMethod.CARD), 0),
            sold.get((day, PaymentMethod.CRYPTO), 0),
        )
        for day in (first + timedelta(days=i) for i in range(days))
    ]


@dataclass(frozen=True)
class Revenue:
    cents_by_currency: dict[str, int]
    wei: int


def revenue() -> Revenue:
    sold = Order.objects.filter(status__in=SOLD)
    cents = (
        sold.filter(method=PaymentMethod.CARD)
        .values("currency")
        .annotate(total=Sum("amount_cents"))
        .order_by("currency")
    )
    # Summed in Python: wei are uint256 strings on SQLite (see core.fields.Uint256Field).
    wei = sum(
        int(v)
        for v in sold.filter(method=PaymentMethod.CRYPTO).values_list("amount_wei", flat=True)
    )
    return Revenue({row["currency"]: int(row["total"]) for row in cents}, wei)


def running_batches(*, now: datetime | None = None) -> QuerySet[Batch]:
    now = now or timezone.now()
    return (
        Batch.objects.filter(sale_open=True)
        .filter(Q(sale_ends_at__isnull=True) | Q(sale_ends_at__gt=now))
        .annotate(sold=Coalesce(Sum("orders__quantity", filter=Q(orders__status__in=SOLD)), 0))
        .order_by("sale_starts_at", "pk")
    )


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest: datetime | None


def outbox_backlog() -> Backlog:
    from chain.models import ChainTransaction

    summary = ChainTransaction.objects.filter(status__in=BACKLOG_STATUSES).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return Backlog(int(summary["count"]), summary["oldest"])


def sales_by_batch() -> list[dict[str, Any]]:
    """One row per batch: packs sold by method, refunds, revenue in cents and in wei."""
    rows = []
    orders = Order.objects.values("batch_id", "method", "status", "quantity", "amount_cents")
    totals: dict[int, dict[str, int]] = {}
    for order in orders:
        t = totals.setdefault(order["batch_id"], {})
        if order["status"] in SOLD:
            key = f"packs_{order['method']}"
            t[key] = t.get(key, 0) + order["quantity"]
            if order["method"] == PaymentMethod.CARD:
                t["revenue_cents"] = t.get("revenue_cents", 0) + order["amount_cents"]
        elif order["status"] == OrderStatus.REFUNDED:
            t["packs_refunded"] = t.get("packs_refunded", 0) + order["quantity"]
    wei: dict[int, int] = {}
    crypto_sold = Order.objects.filter(status__in=SOLD, method=PaymentMethod.CRYPTO)
    for batch_id, amount in crypto_sold.values_list("batch_id", "amount_wei"):
        wei[batch_id] = wei.get(batch_id, 0) + int(amount)
    for batch in Batch.objects.order_by("pk"):
        t = totals.get(batch.pk, {})
        rows.append(
            {
                "batch_id": batch.pk,
                "name": batch.name,
                "currency": batch.currency,
                "supply": batch.supply,
                "available": batch.available,
                "packs_card": t.get("packs_card", 0),
                "packs_crypto": t.get("packs_crypto", 0),
                "packs_refunded": t.get("packs_refunded", 0),
                "revenue_cents": t.get("revenue_cents", 0),
                "revenue_wei": str(wei.get(batch.pk, 0)),
                "sale_open": batch.sale_open,
                "sale_starts_at": batch.sale_starts_at.isoformat() if batch.sale_starts_at else "",
                "sale_ends_at": batch.sale_ends_at.isoformat() if batch.sale_ends_at else "",
            }
        )
    return rows


@dataclass
class ChainState:
    reachable: bool
    indexer_lag: int | None = None
    balances: list[dict[str, Any]] = field(default_factory=list)
    vrf_subscription: dict[str, Any] | None = None
    paused: bool | None = None
    proceeds_wei: int | None = None
    error: str = ""


def chain_state() -> ChainState:
    """Indexer lag, signer gas balances and the VRF subscription, with low-balance warnings."""
    from chain.client import COORDINATOR_MOCK, get_web3, load_artifact, read_deployment
    from chain.config import signer_address
    from chain.selectors import indexer_cursor_get

    try:
        deployment = read_deployment()
    except (ValueError, KeyError):
        deployment = None
    if deployment is None:
        return ChainState(reachable=False, error="no deployment")
    try:
        w3 = get_web3(timeout=CHAIN_TIMEOUT_SECONDS)
        head = int(w3.eth.block_number)
        state = ChainState(reachable=True)
        cursor = indexer_cursor_get(
            chain_id=deployment.chain_id, address=deployment.trackpacks.address
        )
        state.indexer_lag = head - cursor.last_block if cursor else None
        for role in ("admin", "minter", "operator"):
            address = Web3.to_checksum_address(signer_address(role))
            wei = int(w3.eth.get_balance(address))
            state.balances.append(
                {
                    "role": role,
                    "address": address,
                    "wei": wei,
                    "low": wei < settings.CONSOLE_LOW_GAS_WEI,
                }
            )
        state.proceeds_wei = int(w3.eth.get_balance(deployment.trackpacks.address))
        from chain.client import trackpacks_contract

        state.paused = bool(trackpacks_contract(w3).functions.paused().call())
        if deployment.coordinator_mock is not None:
            coordinator = w3.eth.contract(
                address=deployment.coordinator_mock.address, abi=load_artifact(COORDINATOR_MOCK).abi
            )
            balance, native, *_ = coordinator.functions.getSubscription(
                deployment.subscription_id
            ).call()
            state.vrf_subscription = {
                "id": str(deployment.subscription_id),
                "balance": int(balance),
                "native_balance": int(native),
                "low": int(balance) < settings.CONSOLE_LOW_VRF_BALANCE
                and int(native) < settings.CONSOLE_LOW_VRF_BALANCE,
            }
    except Exception as exc:  # any transport or decoding error: shown, never raised
        return ChainState(reachable=False, error=type(exc).__name__)
    return state


def dashboard() -> dict[str, Any]:
    return {
        "sold_by_day": packs_sold_by_day(days=14),
        "revenue": revenue(),
        "openings_waiting": Opening.objects.filter(revealed_at__isnull=True).count(),
        "backlog": outbox_backlog(),
        "in_review": Order.objects.filter(status=OrderStatus.REVIEW).count(),
        "running": list(running_batches()),
        "chain": chain_state(),
    }
