"""`make prod`: the production profile on this machine, through deploy/entrypoint.sh.

Given DATABASE_URL (PostgreSQL) and REDIS_URL, it runs what a deploy runs (DEBUG off, the
release step, gunicorn with several workers, two Celery workers, one beat) and supplies only
what cannot exist here: a local chain (anvil, contracts deployed from the repository) and
localstripe in place of Stripe's servers, both behind the interfaces production uses. Secrets
it is not given are generated once into DATA_DIR/secrets.env. Plain HTTP on loopback (no TLS
proxy here), so SECURE_SSL_REDIRECT is off unless set. A web, worker or beat process that dies
is restarted, as an orchestrator would; Ctrl-C or SIGTERM stops everything.

    .venv/bin/python deploy/localprofile.py [--port 8000] [--web-workers 4] [--workers 2]

It writes DATA_DIR/profile.json (URLs and process ids) once the API answers."""

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.localprocs import (  # noqa: E402  (after the path tweak: run as a script)
    Process,
    anvil_command,
    free_port,
    stop,
    wait_for_http,
)

ENTRYPOINT = str(ROOT / "deploy" / "entrypoint.sh")
RESTART_LIMIT = 20


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    proc: Process | None = None
    restarts: int = 0
    started: list[float] = field(default_factory=list)

    def start(self) -> None:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a worker and its children
        )
        self.started.append(time.monotonic())


def _secrets(data_dir: Path) -> dict[str, str]:
    """Keys kept across runs (tokens and sessions survive a restart), never printed."""
    path = data_dir / "secrets.env"
    stored: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            stored[name] = value
    wanted: dict[str, Callable[[], str]] = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(64),
        "JWT_SIGNING_KEY": lambda: secrets.token_urlsafe(48),
        "STRIPE_WEBHOOK_SECRET": lambda: "whsec_" + secrets.token_urlsafe(32),
    }
    for name, make in wanted.items():
        stored.setdefault(name, make())
    path.write_text("".join(f"{name}={value}\n" for name, value in stored.items()))
    path.chmod(0o600)
    return stored


def _run(command: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("ab") as handle:
        result = subprocess.run(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        sys.exit(f"`{' '.join(command[-3:])}` failed ({result.returncode}); see {log}")


def _register_webhook(stripe_base: str, target: str, secret: str) -> None:
    body = json.dumps({"url": target, "secret": secret}).encode()
    request = urllib.request.Request(  # noqa: S310  (our own loopback localstripe)
        f"{stripe_base}/_config/webhooks/trackpacks",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description="The production profile on this machine.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo catalog")
    args = parser.parse_args()

    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        sys.exit(
            f"{' and '.join(missing)} must be set (PostgreSQL and Redis). "
            "`make run` is the zero-configuration development stack."
        )
    data_dir = Path(os.environ.get("DATA_DIR") or ROOT / "data" / "prod").resolve()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    python_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        **{name: value for name, value in _secrets(data_dir).items() if not os.environ.get(name)},
        "DEBUG": "false",
        "DATA_DIR": str(data_dir),
        "STATIC_ROOT": os.environ.get("STATIC_ROOT") or str(data_dir / "static"),
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS") or "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": os.environ.get("SECURE_SSL_REDIRECT") or "false",
        "PATH": f"{python_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHON": sys.executable,
        "PYTHONUNBUFFERED": "1",
    }
    base = f"http://127.0.0.1:{args.port}"
    helpers: list[Process] = []
    services: list[Service] = []
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if not os.environ.get("CHAIN_RPC_URL"):
            anvil_port = free_port()
            with (logs / "anvil.log").open("ab") as anvil_log:
                helpers.append(
                    subprocess.Popen(  # noqa: S603
                        anvil_command(port=anvil_port, state_file=data_dir / "anvil-state.json"),
                        stdout=anvil_log,
                        stderr=subprocess.STDOUT,
                    )
                )
            env["CHAIN_RPC_URL"] = f"http://127.0.0.1:{anvil_port}"
            wait_for_http(env["CHAIN_RPC_URL"], proc=helpers[-1], json_rpc=True)
        if not os.environ.get("STRIPE_SECRET_KEY"):
            stripe_port = free_port()
            with (logs / "localstripe.log").open("ab") as stripe_log:
                helpers.append(
                    subprocess.Popen(  # noqa: S603
                        [
                            sys.executable,
                            "-m",
                            "payments.localstripe_server",
                            "--port",
                            str(stripe_port),
                            "--from-scratch",
                            "--no-disk",
                        ],
                        cwd=ROOT,
                        stdout=stripe_log,
                        stderr=subprocess.STDOUT,
                    )
                )
            env["STRIPE_API_BASE"] = f"http://127.0.0.1:{stripe_port}"
            env["STRIPE_SECRET_KEY"] = "sk_test_local_profile"  # noqa: S105  (localstripe)
            env["STRIPE_PUBLISHABLE_KEY"] = "pk_test_local_profile"
            wait_for_http(env["STRIPE_API_BASE"], proc=helpers[-1], timeout=30)
            _register_webhook(
                env["STRIPE_API_BASE"],
                f"{base}/api/v1/payments/stripe/webhook/",
                env["STRIPE_WEBHOOK_SECRET"],
            )

        release_log = logs / "release.log"
        _run([ENTRYPOINT, "release"], env, release_log)
        if env["CHAIN_RPC_URL"].startswith("http://127.0.0.1"):
            _run([sys.executable, "manage.py", "chain_deploy_local"], env, release_log)
        if not args.no_seed:
            _run([sys.executable, "manage.py", "seed_demo"], env, release_log)
        _run([ENTRYPOINT, "collectstatic"], env, release_log)

        web_env = {**env, "BIND": f"127.0.0.1:{args.port}", "WEB_WORKERS": str(args.web_workers)}
        worker_env = {**env, "WORKER_CONCURRENCY": "1"}
        services.append(Service("web", [ENTRYPOINT, "web"], web_env, logs / "web.log"))
        for n in range(1, args.workers + 1):
            services.append(
                Service(
                    f"worker{n}",
                    [ENTRYPOINT, "worker", "-n", f"worker{n}@%h"],
                    worker_env,
                    logs / f"worker{n}.log",
                )
            )
        beat_env = {**env, "BEAT_SCHEDULE_FILE": str(data_dir / "celerybeat-schedule")}
        services.append(Service("beat", [ENTRYPOINT, "beat"], beat_env, logs / "beat.log"))
        for service in services:
            service.start()
        wait_for_http(f"{base}/api/v1/health/", proc=services[0].proc, timeout=120)
        _write_profile(data_dir, base, env, services)
        print(
            f"Production profile running (DEBUG off): {base}/api/docs/  "
            f"logs in {logs}  (Ctrl-C stops everything)",
            flush=True,
        )
        _supervise(services, helpers, data_dir, base, env)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        _stop_services(services)
        stop(helpers)
    return 0


def _write_profile(data_dir: Path, base: str, env: dict[str, str], services: list[Service]) -> None:
    profile = {
        "base_url": base,
        "chain_rpc_url": env["CHAIN_RPC_URL"],
        "stripe_api_base": env.get("STRIPE_API_BASE", ""),
        "stripe_secret_key": env["STRIPE_SECRET_KEY"] if env.get("STRIPE_API_BASE") else "",
        "pids": {s.name: s.proc.pid for s in services if s.proc is not None},
    }
    (data_dir / "profile.json").write_text(json.dumps(profile, indent=2))


def _supervise(
    services: list[Service], helpers: list[Process], data_dir: Path, base: str, env: dict[str, str]
) -> None:
    while True:
        time.sleep(0.5)
        for helper in helpers:
            if helper.poll() is not None:
                raise SystemExit(f"a helper process (anvil/localstripe) exited: {helper.args!r}")
        for service in services:
            if service.proc is None or service.proc.poll() is None:
                continue
            if service.restarts >= RESTART_LIMIT:
                raise SystemExit(f"{service.name} keeps dying; see {service.log}")
            print(f"{service.name} exited with {service.proc.returncode}: restarting", flush=True)
            service.restarts += 1
            service.start()
            _write_profile(data_dir, base, env, services)


def _stop_services(services: list[Service]) -> None:
    """SIGTERM each process group (warm shutdown), then SIGKILL what is left."""
    running = [s.proc for s in services if s.proc is not None and s.proc.poll() is None]
    for proc in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


if __name__ == "__main__":
    sys.exit(main())
