"""Process plumbing shared by the benchmarks: a throw-away data dir and SQLite database,
Django set up on it, and child processes (gunicorn, anvil, celery) started and stopped.

Call `prepare()` before importing anything from the project's apps."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from core.localprocs import free_port, start_redis, stop, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def prepare(name: str, **extra_env: str) -> Path:
    """A fresh temp dir holding DATA_DIR and the SQLite file; Django set up and migrated.
    Removed at exit unless BENCH_KEEP is set (it holds the processes' logs)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"trackpacks-bench-{name}-"))
    if not os.environ.get("BENCH_KEEP"):
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    # An embedded Redis as `make run` has: broker for the Celery benchmarks, shared cache.
    redis, redis_url = start_redis(tmp / "redis")
    atexit.register(stop, [redis])
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
            "DATA_DIR": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            # Development settings (local chain, localstripe) loaded; bench_settings then
            # turns DEBUG off for the measured processes.
            "DEBUG": "true",
            "CELERY_BROKER_URL": "",
            "REDIS_URL": redis_url,
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
    wait_for_http(f"http://127.0.0.1:{port}/api/v1/health/", proc=proc)
    return proc, port


# The list endpoints measured against bare Django (benchmarks/bench_urls.py serves the baselines):
# (label, API path, baseline path, headers). `auth` carries the fan's bearer token.
def throughput_cases(auth: dict[str, str]) -> list[tuple[str, str, str, dict[str, str] | None]]:
    return [
        ("GET /api/v1/batches/", "/api/v1/batches/", "/bench/baseline/batches/", None),
        (
            "GET /api/v1/songs/?page_size=50",
            "/api/v1/songs/?page_size=50",
            "/bench/baseline/songs/?page_size=50",
            None,
        ),
        (
            "GET /api/v1/packs/?page_size=50 (JWT)",
            "/api/v1/packs/?page_size=50",
            "/bench/baseline/packs/?page_size=50",
            auth,
        ),
    ]
