"""The admin index dashboard, the sales CSV and the throttled admin login."""

import csv
import io
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from payments.models import OrderStatus
from tests.admin.conftest import logged_in, staff
from tests.conftest import PASSWORD
from tests.factories import make_batch, make_order, make_user


def _sales(batch: Any) -> None:
    buyer = make_user()
    now = timezone.now()
    make_order(
        user=buyer,
        batch=batch,
        method="card",
        quantity=2,
        status=OrderStatus.FULFILLED,
        paid_at=now,
    )
    make_order(
        user=buyer,
        batch=batch,
        method="crypto",
        quantity=3,
        status=OrderStatus.FULFILLED,
        paid_at=now - timedelta(days=1),
    )
    make_order(user=buyer, batch=batch, method="card", quantity=1, status=OrderStatus.REVIEW)
    make_order(user=buyer, batch=batch, method="card", quantity=4, status=OrderStatus.REFUNDED)


def test_the_dashboard_shows_sales_revenue_and_backlogs(label_manager: Client) -> None:
    batch = make_batch(name="Autumn drop")
    _sales(batch)
    page = label_manager.get("/admin/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert "Packs sold per day by payment method" in html
    assert "2 card" in html  # bar tooltips
    assert "3 crypto" in html
    assert "1000 USD cents" in html  # 2 packs x 500 cents
    assert f"{3 * 10**16} wei" in html
    assert 'id="orders-in-review"' in html
    assert page.context["dashboard"]["in_review"] == 1
    assert "Autumn drop" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # nothing fetched from elsewhere


def test_staff_without_the_dashboard_permission_see_no_numbers(db: None) -> None:
    client = logged_in(staff("nobody@example.com", None))
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "dashboard" not in page.context or not page.context.get("dashboard")


def test_sales_csv_per_batch(label_manager: Client) -> None:
    batch = make_batch(name="=HYPERLINK(evil)")
    _sales(batch)
    response = label_manager.get("/admin/reports/sales.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "'=HYPERLINK(evil)"  # no spreadsheet formula
    assert (row["packs_card"], row["packs_crypto"], row["packs_refunded"]) == ("2", "3", "4")
    assert (row["revenue_cents"], row["revenue_wei"]) == ("1000", str(3 * 10**16))


def test_support_cannot_export_sales(support: Client) -> None:
    assert support.get("/admin/reports/sales.csv").status_code == 403


def test_admin_login_is_throttled_per_email_like_the_api(db: None, settings: Any) -> None:
    staff("victim@example.com", None)
    client = Client()
    statuses = [
        client.post(
            "/admin/login/", {"username": "victim@example.com", "password": "wrong"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]  # login_email: 5/min
    refused = client.post("/admin/login/", {"username": "victim@example.com", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_admin_and_api_logins_share_one_budget(db: None, api: Any) -> None:
    staff("shared@example.com", None)
    for _ in range(5):
        api.post("/api/v1/auth/login/", {"email": "shared@example.com", "password": "wrong"})
    response = Client().post(
        "/admin/login/", {"username": "shared@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429
