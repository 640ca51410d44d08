"""The production profile (deploy/localprofile.py -> deploy/entrypoint.sh: DEBUG off,
gunicorn, two Celery workers, one beat) on PostgreSQL and Redis, driven over HTTP: docs with
their assets, a crypto purchase then an opening, a card purchase then an opening, and a run of
card orders during which one Celery worker is killed with SIGKILL.

Runs when DATABASE_URL names PostgreSQL (CI exports it); it uses its own database and its own
Redis database number."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import redis
import requests

from core.localprocs import free_port
from tests.production.env import ROOT
from tests.production.profile_client import ProfileFan, anvil_account, wait_until

pytestmark = pytest.mark.postgres

REDIS_DB = 12  # this suite's own Redis database
STARTUP_SECONDS = 360


def _server_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(database_url: str) -> Any:
    connection = psycopg2.connect(_server_url(database_url, "postgres"))
    connection.autocommit = True
    return connection


@pytest.fixture(scope="module")
def profile_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the production profile needs PostgreSQL: set DATABASE_URL")
    redis_parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    redis_url = urlunsplit(redis_parts._replace(path=f"/{REDIS_DB}"))
    try:
        redis.Redis.from_url(redis_url).flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"the production profile needs Redis ({exc})")
    name = f"tp_production_profile_{os.getpid()}"
    admin = _admin(database_url)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    data_dir = tmp_path_factory.mktemp("profile")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(data_dir)),
        "DATABASE_URL": _server_url(database_url, name),
        "REDIS_URL": redis_url,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
    }
    try:
        yield env
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def profile(profile_env: dict[str, str]) -> Iterator[dict[str, Any]]:
    data_dir = Path(profile_env["DATA_DIR"])
    port = free_port()
    out = (data_dir / "profile.out").open("ab")
    command = [
        sys.executable, str(ROOT / "deploy" / "localprofile.py"),
        "--port", str(port), "--web-workers", "2", "--workers", "2",
    ]  # fmt: skip
    proc = subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env=profile_env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    info = data_dir / "profile.json"
    try:

        def started() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"the profile exited: {_logs(data_dir)}")
            return info.exists()

        wait_until(started, timeout=STARTUP_SECONDS, what="the production profile")
        data: dict[str, Any] = json.loads(info.read_text())
        data["data_dir"] = str(data_dir)
        data["database_url"] = profile_env["DATABASE_URL"]
        yield data
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def _logs(data_dir: Path) -> str:
    tails = []
    for log in [*sorted((data_dir / "logs").glob("*.log")), data_dir / "profile.out"]:
        if log.exists():
            tails.append(f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}")
    return "\n".join(tails)


def _query(profile: dict[str, Any], sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg2.connect(profile["database_url"]) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    connection.close()
    return rows


def _batch(fan: ProfileFan) -> dict[str, Any]:
    """The demo batch with the most packs left, once the worker has registered it on chain."""

    def on_chain() -> list[dict[str, Any]]:
        return [b for b in fan.get("/api/v1/batches/")["results"] if b["on_chain"]]

    batches: list[dict[str, Any]] = wait_until(on_chain, timeout=120, what="the catalog on chain")
    return max(batches, key=lambda b: b["remaining"])


def test_docs_and_their_assets_are_served_with_debug_off(profile: dict[str, Any]) -> None:
    base = profile["base_url"]
    health = requests.get(f"{base}/api/v1/health/", timeout=30).json()
    assert health["checks"]["database"]["vendor"] == "postgresql"
    missing = requests.get(f"{base}/api/v1/no-such-thing/", timeout=30)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/json")  # no debug page
    for page in ("/api/docs/", "/api/redoc/", "/admin/login/"):
        html = requests.get(f"{base}{page}", timeout=30).text
        assets = [a for a in _asset_urls(html) if a.endswith((".js", ".css"))]
        assert assets, page
        for asset in assets:
            raw = requests.get(
                f"{base}{asset}", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30
            )
            assert raw.status_code == 200, asset
            expected = "text/css" if asset.endswith(".css") else "text/javascript"
            assert raw.headers["Content-Type"].startswith(expected), asset
            if int(raw.headers.get("Content-Length", "0") or 0) > 1024 or "bundle" in asset:
                assert raw.headers.get("Content-Encoding") == "gzip", asset
            raw.close()


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_crypto_purchase_then_open(profile: dict[str, Any]) -> None:
    fan = ProfileFan(profile, "crypto-fan@example.com")
    wallet = anvil_account(5)
    fan.link_wallet(wallet)
    batch = _batch(fan)
    order = fan.order(batch["id"], 2, "crypto")
    call = order["payment"]["crypto"]
    tx_hash = fan.send(wallet, to=call["contract_address"], data=call["data"],
                       value=int(call["value_wei"]))  # fmt: skip
    settled = fan.post(f"/api/v1/orders/{order['id']}/crypto-tx/", {"tx_hash": tx_hash})
    assert settled.status_code == 200, settled.text
    assert settled.json()["status"] == "fulfilled"
    packs = fan.packs()
    assert len(packs) == 2
    assert {p["custody"] for p in packs} == {"self"}
    opening = fan.open(packs[0]["id"])
    fan.send(wallet, to=opening["wallet_call"]["to"], data=opening["wallet_call"]["data"])
    opened = fan.wait_opened(packs[0]["id"])
    assert len(opened["songs"]) == 5


def test_card_purchase_then_open(profile: dict[str, Any]) -> None:
    fan = ProfileFan(profile, "card-fan@example.com")
    batch = _batch(fan)
    order = fan.order(batch["id"], 1, "card")
    fan.pay_by_card(order)
    fan.wait_for_order(order["id"], "fulfilled")
    packs = fan.packs()
    assert [p["custody"] for p in packs] == ["custodial"]
    fan.open(packs[0]["id"])
    assert len(fan.wait_opened(packs[0]["id"])["songs"]) == 5


ORDERS_IN_RUN = 8


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(profile: dict[str, Any]) -> None:
    """Card orders and openings keep flowing while one Celery worker (its whole process group,
    prefork child included) is SIGKILLed: every order is minted and fulfilled exactly once,
    every opening finishes."""
    fans = [ProfileFan(profile, f"run-fan-{n}@example.com") for n in range(ORDERS_IN_RUN)]
    batch = _batch(fans[0])
    orders = [fan.order(batch["id"], 1 + n % 2, "card") for n, fan in enumerate(fans)]
    victim = profile["pids"]["worker1"]
    for n, (fan, order) in enumerate(zip(fans, orders, strict=True)):
        fan.pay_by_card(order)
        if n == ORDERS_IN_RUN // 2:
            time.sleep(0.5)  # passes for the first orders are in flight on both workers
            os.killpg(victim, signal.SIGKILL)
    for fan, order in zip(fans, orders, strict=True):
        fan.wait_for_order(order["id"], "fulfilled", timeout=180)

    opened_ids: list[tuple[ProfileFan, int]] = []
    for n, fan in enumerate(fans):
        packs = fan.packs()
        assert len(packs) == orders[n]["quantity"]
        fan.open(packs[0]["id"])
        opened_ids.append((fan, packs[0]["id"]))
        if n == 1:  # and once more, mid-opening, the other worker
            os.killpg(_current_pid(profile, "worker2"), signal.SIGKILL)
    for fan, pack_id in opened_ids:
        assert len(fan.wait_opened(pack_id, timeout=180)["songs"]) == 5

    refs = [order["order_ref"] for order in orders]
    per_order = _query(
        profile,
        "SELECT o.order_ref, count(p.id) FROM payments_order o "
        "LEFT JOIN trackpacks_pack p ON p.order_id = o.id "
        "WHERE o.order_ref = ANY(%s) GROUP BY o.order_ref",
        refs,
    )
    assert dict(per_order) == {order["order_ref"]: order["quantity"] for order in orders}
    contract = _contract_address(profile)
    for fan, order in zip(fans, orders, strict=True):
        custodial = fan.get("/api/v1/auth/me/")["custodial_wallet_address"]
        held = fan.pack_balance(custodial, int(batch["pack_token_id"]), contract)
        assert held == order["quantity"] - 1  # minted once on chain, one pack opened
    restarted = json.loads((Path(profile["data_dir"]) / "profile.json").read_text())["pids"]
    assert restarted["worker1"] != victim  # the supervisor replaced the killed worker


def _current_pid(profile: dict[str, Any], name: str) -> int:
    pids = json.loads((Path(profile["data_dir"]) / "profile.json").read_text())["pids"]
    return int(pids[name])


def _contract_address(profile: dict[str, Any]) -> str:
    record = json.loads((Path(profile["data_dir"]) / "deployments" / "31337.json").read_text())
    return str(record["contracts"]["TrackPacks"]["address"])
