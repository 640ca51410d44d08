"""The dashboard in a real headless browser (Debian's chromium driven by Playwright, no browser
download): log in through the admin form, see the chart and the tiles, save a screenshot.

The screenshot goes to the test's temporary directory; `make screenshots` (UPDATE_SCREENSHOTS=1)
writes it to docs/admin-dashboard.png instead, so a plain `make test` leaves the tree clean."""

import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from console.groups import LABEL_MANAGER
from payments.models import OrderStatus
from tests.admin.conftest import staff
from tests.conftest import PASSWORD
from tests.factories import make_batch, make_order, make_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "admin-dashboard.png"

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (`make browser-deps`)"
    ),
    pytest.mark.django_db(transaction=True),
]


def _a_week_of_sales() -> None:
    batch = make_batch(name="Midnight Sessions", supply=500)
    buyer = make_user()
    now = timezone.now()
    for day in range(7):
        for method, quantity in (("card", 1 + day % 3), ("crypto", 2 + day % 2)):
            make_order(
                user=buyer,
                batch=batch,
                method=method,
                quantity=quantity,
                status=OrderStatus.FULFILLED,
                paid_at=now - timedelta(days=day),
            )
    make_order(user=buyer, batch=batch, method="card", status=OrderStatus.REVIEW)


def test_the_dashboard_renders_in_chromium(live_server: Any, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip playwright not installed")
    screenshot = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path / SCREENSHOT.name
    _a_week_of_sales()
    staff("manager@example.com", LABEL_MANAGER)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            outside: list[str] = []
            page.on(
                "request",
                lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
            )
            page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            page.fill("#id_username", "manager@example.com")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#dashboard svg.packs-chart")
            assert page.locator("svg.packs-chart rect").count() > 10
            assert page.inner_text("#orders-in-review") == "1"
            assert "Midnight Sessions" in page.inner_text("#running-batches")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert outside == []  # no CDN, nothing fetched from elsewhere
    assert screenshot.stat().st_size > 10_000
