"""The README's curl walkthroughs, pasted as one block each into bash, against a live server
with the real background passes running beside it (as `make run` does): they must work without
pauses typed by a human (issue 12: the crypto walkthrough read the packs before the indexer had
seen the purchase).

PostgreSQL only: the server thread, the background thread and the test each need their own
database connection (SQLite's in-memory test database is one shared connection)."""

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from chain.fulfiller import local_chain_process_once
from core.management.commands.devstack import (
    _demo_user,
    _register_localstripe_webhook,
    demo_wallet,
)
from trackpacks.models import Batch

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.chain, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def readme_block(heading: str) -> str:
    """The first ```bash block under a `## heading` of the README."""
    section = (ROOT / "README.md").read_text().split(f"\n## {heading}", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert match, heading
    return match.group(1)


@pytest.fixture
def background() -> Iterator[None]:
    """Celery beat's local-chain pass, every 0.3 s, in its own thread and connection."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(0.3):
                local_chain_process_once()
        finally:
            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def run_in_bash(
    script: str, *, live_url: str, chain: dict[str, Any], stripe: str, tmp: Path
) -> str:
    script = script.replace("http://127.0.0.1:8000/api/v1", f"{live_url}/api/v1")
    script = script.replace(".venv/bin/python manage.py", f"{sys.executable} {ROOT}/manage.py")
    env = {
        **os.environ,
        "CHAIN_RPC_URL": chain["rpc_url"],
        "CHAIN_DEPLOYMENT_RECORD": str(chain["record"]),
        "STRIPE_API_BASE": stripe,
        "DATA_DIR": str(tmp),
    }
    env.pop("DATABASE_URL", None)  # the commands run by the walkthroughs need no database
    result = subprocess.run(  # noqa: S603
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


@pytest.fixture
def live_stack(
    live_server: Any, chain: dict[str, Any], catalog: Batch, stripe_local: str, background: None
) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: three threads with their own connections")
    _demo_user(demo_wallet()[0])
    _register_localstripe_webhook(
        stripe_local, f"{live_server.url}/api/v1/payments/stripe/webhook/"
    )
    return {"live_url": live_server.url, "chain": chain, "stripe": stripe_local}


def test_the_auth_walkthrough_pasted_as_one_block(
    live_stack: dict[str, Any], tmp_path: Path
) -> None:
    out = run_in_bash(readme_block("Auth walkthrough (curl)"), tmp=tmp_path, **live_stack)
    assert out.strip().endswith("204")


def test_the_crypto_and_card_walkthroughs_pasted_as_one_block_each(
    live_stack: dict[str, Any], tmp_path: Path
) -> None:
    crypto = readme_block("Buy and open a pack with crypto (the demo wallet)")
    card = readme_block("Buy a pack by card locally (localstripe)")
    out = run_in_bash(crypto + "\n" + card, tmp=tmp_path, **live_stack)
    assert "REVERTED" not in out
    assert out.count("['Track") >= 2  # each opened pack listed its 5 songs
