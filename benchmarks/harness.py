"""Process plumbing shared by the benchmarks: a throw-away data dir and SQLite database,
Django set up on it, and child processes (gunicorn, anvil, celery) started and stopped.

Call `prepare()` before importing anything from the project's apps."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(name: str, **extra_env: str) -> Path:
    """A fresh temp dir holding DATA_DIR and the SQLite file; Django set up and migrated.
    Removed at exit unless BENCH_KEEP is set (it holds the processes' logs)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"trackpacks-bench-{name}-"))
    if not os.environ.get("BENCH_KEEP"):
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
            "DATA_DIR": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "DEBUG": "false",
            "SECRET_KEY": "benchmark-only-secret-key-not-for-production-use-0123456789",
            "CELERY_BROKER_URL": "",
            "REDIS_URL": "",
            **extra_env,
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return tmp


def spawn(
    command: list[str], *, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stops the processes this benchmark started (each in its own session), newest first."""
    for proc in reversed(procs):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in reversed(procs):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def wait_http(
    url: str, *, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (loopback)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def start_gunicorn(tmp: Path, *, workers: int = 2) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = spawn(
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        log=tmp / "gunicorn.log",
    )
    wait_http(f"http://127.0.0.1:{port}/api/v1/health/", proc=proc)
    return proc, port
