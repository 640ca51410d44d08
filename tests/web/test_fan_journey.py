"""The reference fan app (web/) driven in a real headless Chromium against the local stack:
register → link a wallet (an EIP-1193 provider injected into the page, backed by an anvil key)
→ buy with crypto → open → 5 songs → buy by card through localstripe's Stripe.js → open →
withdraw a song → the collection matches the chain. Accessibility is checked with axe-core.

The live server answers the browser; the outbox, indexer and VRF fulfiller passes run in the
test's own thread while it waits, as Celery beat would run them."""

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core import mail
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from accounts.models import User
from chain.client import trackpacks_contract
from core.localprocs import ROOT
from tests.flows.conftest import anvil_account, run_background, send_from
from tests.payments.stripe_fixtures import WEBHOOK_SECRET, WEBHOOK_URL
from trackpacks.models import Batch

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DIST = ROOT / "web" / "dist" / "index.html"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.chain,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (`make browser-deps`)"
    ),
    pytest.mark.skipif(not DIST.exists(), reason="the fan app is not built: run `make web`"),
]

PROVIDER = """
window.ethereum = {
  isTrackPacksTest: true,
  request: ({method, params}) => window.__testWallet(method, params || []),
};
"""


def wallet_handler(account: LocalAccount) -> Callable[..., Any]:
    """Answers the page's EIP-1193 requests with an anvil key, as a browser wallet would."""

    def handle(_source: Any, method: str, params: list[Any]) -> Any:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return [account.address]
        if method == "eth_chainId":
            return hex(31337)
        if method == "wallet_switchEthereumChain":
            return None
        if method == "personal_sign":
            signature = account.sign_message(encode_defunct(text=params[0])).signature
            return "0x" + bytes(signature).hex().removeprefix("0x")
        if method == "eth_sendTransaction":
            call = params[0]
            value = int(call["value"], 16)
            return send_from(account, to=call["to"], data=call["data"], value=value)
        raise ValueError(f"unsupported wallet method {method}")

    return handle


@pytest.fixture
def stripe_delivers_to(stripe_local: str, live_server: Any) -> Iterator[str]:
    def register(url: str) -> None:
        requests.post(
            f"{stripe_local}/_config/webhooks/trackpacks",
            json={"url": url, "secret": WEBHOOK_SECRET},
            timeout=5,
        ).raise_for_status()

    register(f"{live_server.url}{WEBHOOK_URL}")
    yield stripe_local
    register("http://127.0.0.1:9/")


@pytest.fixture
def page(
    live_server: Any, stripe_delivers_to: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls made here while
    # it waits are ordinary blocking calls, not coroutines (Django's documented escape hatch).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # Reduced motion: axe must not judge contrast halfway through the reveal's fade-in.
        context = browser.new_context(
            viewport={"width": 1100, "height": 900}, reduced_motion="reduce"
        )
        context.expose_binding("__testWallet", wallet_handler(anvil_account(5)))
        context.add_init_script(PROVIDER)
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Callable[[Any, str], None]:
    """Screenshots of each step; `make screenshots` (UPDATE_SCREENSHOTS=1) keeps docs/web/'s."""
    folder = ROOT / "docs" / "web" if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take


def wait_while_chain_works(page: Any, done: Callable[[], bool], timeout: float = 60) -> None:
    """Runs the background passes until the page shows what the fan waits for."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the page never got there"
        run_background(rounds=1)
        page.wait_for_timeout(300)


def assert_accessible(page: Any) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["help"], len(v["nodes"]))
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious


def test_the_whole_fan_journey_in_a_browser(
    page: Any,
    live_server: Any,
    catalog: Batch,
    shots: Callable[[Any, str], None],
    settings: Any,
) -> None:
    app = f"{live_server.url}/app/"
    settings.FRONTEND_URL = f"{live_server.url}/app"  # where mailed links point
    settings.CARD_WITHDRAWAL_HOLD_HOURS = 0  # no card-fraud hold in this journey
    page.goto(f"{app}#/register")
    assert_accessible(page)
    page.fill("input[name=email]", "browser-fan@example.com")
    page.fill("input[name=password]", "a-long-browser-passphrase")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Packs on sale").wait_for()
    shots(page, "01-catalog")
    assert_accessible(page)

    # Card orders need a confirmed email: follow the mailed link, as the fan would.
    (verification,) = [m for m in mail.outbox if "browser-fan@example.com" in m.to]
    link = re.search(r"https?://\S+/verify-email\?token=\S+", verification.body)
    assert link is not None, verification.body
    page.goto(link.group(0))
    page.get_by_role("heading", name="Email confirmed").wait_for()
    page.goto(f"{app}#/catalog")
    page.get_by_role("heading", name="Packs on sale").wait_for()

    page.get_by_role("button", name="Link wallet").click()
    page.get_by_text("Wallet 0x").wait_for()
    user = User.objects.get(email="browser-fan@example.com")
    assert user.wallet_address == anvil_account(5).address

    # Crypto: the app sends buyPacks from the injected wallet and polls the order.
    page.get_by_role("button", name="Buy with crypto").click()
    done = page.get_by_text("Your packs are in My packs.")
    wait_while_chain_works(page, done.is_visible)
    shots(page, "02-crypto-bought")

    page.goto(f"{app}#/packs")
    page.get_by_role("button", name="Open pack").first.click()
    revealed = page.locator(".reveal li")
    wait_while_chain_works(page, lambda: revealed.count() == 5)
    assert page.get_by_test_id("pack-status").first.inner_text() == "opened"
    shots(page, "03-opened")
    assert_accessible(page)

    # Card: localstripe's Stripe.js card element, confirmed with the publishable key.
    page.goto(f"{app}#/catalog")
    page.get_by_role("button", name="Buy by card").click()
    page.fill("input[placeholder=number]", "4242424242424242")
    page.fill("input[placeholder=exp_month]", "12")
    page.fill("input[placeholder=exp_year]", "30")
    page.fill("input[placeholder=cvc]", "123")
    page.fill("input[placeholder=postal_code]", "10001")
    shots(page, "04-card")
    page.get_by_role("button", name="Pay").click()
    wait_while_chain_works(page, page.get_by_text("Your packs are in My packs.").is_visible)

    page.goto(f"{app}#/packs")
    custodial = page.locator("article.pack", has_text="custodial")
    custodial.get_by_role("button", name="Open pack").first.click()
    wait_while_chain_works(page, lambda: custodial.locator(".reveal li").count() == 5)
    shots(page, "05-card-pack-opened")

    page.goto(f"{app}#/collection")
    row = page.locator("tr", has_text="custodial").first
    token_id = int(row.get_attribute("data-token-id") or 0)
    row.get_by_role("button", name="Withdraw").click()
    page.get_by_text("On its way to your wallet.").wait_for()
    contract = trackpacks_contract()
    wallet = anvil_account(5).address
    wait_while_chain_works(page, lambda: contract.functions.balanceOf(wallet, token_id).call() >= 1)
    run_background(rounds=2)
    page.reload()
    page.get_by_role("heading", name="My collection").wait_for()
    shots(page, "06-collection")
    assert_accessible(page)

    user.refresh_from_db()
    shown = {
        (int(r.get_attribute("data-token-id") or 0), r.locator("td").nth(3).inner_text()):
            int(r.get_by_test_id("balance").inner_text())
        for r in page.locator("tbody tr").all()
    }  # fmt: skip
    on_chain = {
        (token, where): contract.functions.balanceOf(
            user.custodial_address if where == "custodial" else wallet, token
        ).call()
        for token, where in shown
    }
    assert shown == on_chain
    assert sum(shown.values()) == 10  # two packs of five songs
