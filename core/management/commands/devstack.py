"""`make run`: the whole product on one machine with zero configuration.

Starts anvil (chain state persisted under DATA_DIR), localstripe when no real Stripe key is
configured (its webhook pointed at this server), an embedded Redis (broker and shared cache)
unless REDIS_URL names one, deploys the contracts when that chain has none, migrates, seeds
the demo catalog and a demo fan, then runs gunicorn, the Celery worker and beat (which drives
the outbox, the indexer and the local VRF fulfiller). Ctrl-C stops everything; the next run
keeps the data."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.localprocs import (
    ANVIL_MNEMONIC,
    Process,
    anvil_command,
    start_redis,
    stop,
    wait_for_http,
)

DEMO_WALLET_INDEX = 4
DEMO_EMAIL = "demo@trackpacks.local"
DEMO_PASSWORD = "demo-passphrase-2026"  # noqa: S105  (a local demo account, printed on start)


def _register_localstripe_webhook(api_base: str, target: str, timeout: float = 20.0) -> None:
    """localstripe signs and POSTs its events to every registered URL (one per name)."""
    body = json.dumps({"url": target, "secret": settings.STRIPE_WEBHOOK_SECRET}).encode()
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(  # noqa: S310  (our own loopback localstripe)
            f"{api_base}/_config/webhooks/trackpacks",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310
                return
        except OSError:
            if time.monotonic() > deadline:
                raise CommandError(f"localstripe did not answer at {api_base}") from None
            time.sleep(0.3)


def demo_wallet() -> tuple[str, str]:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(
        ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{DEMO_WALLET_INDEX}"
    )
    return account.address, account.key.to_0x_hex()


def _demo_user(wallet_address: str) -> None:
    from accounts.models import User

    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is None:
        user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, display_name="Demo Fan")
    if user.email_verified_at is None:  # a demo address receives no mail; card orders need it
        user.email_verified_at = user.date_joined
        user.save(update_fields=["email_verified_at"])
    if not user.wallet_address:
        user.wallet_address = wallet_address
        user.save(update_fields=["wallet_address"])


class Command(BaseCommand):
    help = "Runs anvil, the API, the Celery worker and beat for local development."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--anvil-port", type=int, default=8545)
        parser.add_argument("--web-workers", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(settings.DATA_DIR)
        data_dir.mkdir(parents=True, exist_ok=True)
        rpc_url = f"http://127.0.0.1:{options['anvil_port']}"
        if rpc_url != settings.CHAIN_RPC_URL:
            raise CommandError(
                f"CHAIN_RPC_URL is {settings.CHAIN_RPC_URL}; devstack runs {rpc_url}"
            )

        # `kill` (SIGTERM) stops everything as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        procs: list[Process] = []
        try:
            procs.append(self._start_anvil(data_dir, options["anvil_port"]))
            wait_for_http(rpc_url, proc=procs[0], json_rpc=True)
            call_command("migrate", interactive=False, verbosity=0)
            call_command("chain_deploy_local")
            call_command("seed_demo")
            address, key = demo_wallet()
            _demo_user(address)
            if settings.STRIPE_LOCAL:
                procs.append(self._start_localstripe(data_dir))
                _register_localstripe_webhook(
                    settings.STRIPE_API_BASE.rstrip("/"),
                    f"http://127.0.0.1:{options['port']}/api/v1/payments/stripe/webhook/",
                )
            metrics_dir = data_dir / "prometheus"  # gunicorn workers' metrics, per run
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            services_env = {
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            }
            if not settings.REDIS_URL:
                redis, redis_url = start_redis(data_dir / "redis")
                procs.append(redis)
                services_env["REDIS_URL"] = redis_url
            procs += self._start_services(
                options["port"], data_dir, services_env, options["web_workers"]
            )
            self._print_banner(options["port"], address, key)
            self._supervise(procs)
        finally:
            stop(procs)

    def _start_anvil(self, data_dir: Path, port: int) -> Process:
        command = anvil_command(port=port, state_file=data_dir / "anvil-state.json")
        log = (data_dir / "anvil.log").open("ab")
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603

    def _start_localstripe(self, data_dir: Path) -> Process:
        port = urllib.parse.urlsplit(settings.STRIPE_API_BASE).port or 8420
        log = (data_dir / "localstripe.log").open("ab")
        command = [sys.executable, "-m", "payments.localstripe_server", "--port", str(port)]
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603

    def _start_services(
        self, port: int, data_dir: Path, env: dict[str, str], web_workers: int
    ) -> list[Process]:
        """gunicorn's sync workers take one request each and queue the rest in a deep listen
        backlog: 50 clients connecting at once wait instead of being reset, and each worker
        holds at most one database connection."""
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        commands = [
            [
                python, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{port}",
                "--workers", str(web_workers),
                "--backlog", "2048",
                "--timeout", "60",
                "--log-level", "warning",
            ],
            [*celery, "worker", "--loglevel", "WARNING", "--concurrency", "2"],
            [*celery, "beat", "--loglevel", "WARNING", "--schedule", str(data_dir / "celerybeat")],
        ]  # fmt: skip
        return [subprocess.Popen(command, env=env) for command in commands]  # noqa: S603

    def _print_banner(self, port: int, address: str, key: str) -> None:
        base = f"http://127.0.0.1:{port}"
        stripe = "api.stripe.com (STRIPE_SECRET_KEY)"
        if settings.STRIPE_LOCAL:
            stripe = f"localstripe at {settings.STRIPE_API_BASE} (see README: buy by card)"
        self.stdout.write(
            self.style.SUCCESS(
                "\nTrackPacks is running (Ctrl-C stops everything; data stays in DATA_DIR)\n"
                f"  Fan app:      {base}/app/\n"
                f"  API docs:     {base}/api/docs/\n"
                f"  API:          {base}/api/v1/\n"
                f"  Admin:        {base}/admin/  (create a login: make superuser)\n"
                f"  Demo login:   {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
                f"  Demo wallet:  {address} (linked to the demo login)\n"
                f"  Wallet key:   {key}  (anvil test key, local chain only)\n"
                f"  Chain RPC:    {settings.CHAIN_RPC_URL} (chain id 31337)\n"
                f"  Stripe:       {stripe}\n"
            )
        )

    def _supervise(self, procs: list[Process]) -> None:
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
            self.stderr.write("A process stopped; shutting down the rest.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
