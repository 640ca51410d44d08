"""The production profile on PostgreSQL: deploy/entrypoint.sh's gunicorn (4 sync workers,
DEBUG off, WhiteNoise, Redis cache, JSON logs, every production middleware) serving the API
and, in the same processes, the bare-Django baseline views (benchmarks/bench_urls.py).

Reports list throughput as a ratio to bare Django measured in the same run (paired ABBA
slices), and bursts of 50 and 100 clients opening new connections at the same instant: every
request must get a 200, none may be reset or refused.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benchmarks.production_profile [--seconds 1.5] [--rounds 6]

It creates (and drops) its own database on that server; Redis: REDIS_URL if set (db 13 of
that server), else an embedded one."""

import argparse
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "tp_bench_production_profile"
TARGET_RATIO = 0.7
BURSTS = (50, 100)


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _admin_sql(server_url: str, sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(_with_path(server_url, "/postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


def burst(port: int, path: str, clients: int) -> tuple[int, int, float]:
    """`clients` threads connect at the same instant and send one GET each: (ok, failed, s)."""
    ok = [0] * clients
    gate = threading.Barrier(clients)
    started = time.perf_counter()

    def client(index: int) -> None:
        gate.wait()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            ok[index] = int(response.status == 200)
            conn.close()
        except (OSError, http.client.HTTPException):
            ok[index] = 0

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    succeeded = sum(ok)
    return succeeded, clients - succeeded, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--web-workers", type=int, default=4)
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        print("production profile: skipped (set BENCH_DATABASE_URL to a PostgreSQL server)")
        return 0
    sys.path.insert(0, str(ROOT))
    from core.localprocs import free_port, start_redis, stop, wait_for_http

    tmp = Path(tempfile.mkdtemp(prefix="trackpacks-bench-prod-"))
    procs = []
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        redis_url = _with_path(redis_url, "/13")
    else:
        redis, redis_url = start_redis(tmp / "redis")
        procs.append(redis)
    _admin_sql(server_url, f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    _admin_sql(server_url, f'CREATE DATABASE "{DB_NAME}"')
    database_url = _with_path(server_url, f"/{DB_NAME}")
    production = {
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(tmp),
        "STATIC_ROOT": str(tmp / "static"),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
        "LOG_LEVEL": "WARNING",
    }
    # Seed in this process (development settings on the same database and JWT key).
    os.environ.update({**production, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from accounts.services import user_tokens
    from benchmarks.harness import throughput_cases
    from benchmarks.loadgen import run_load
    from benchmarks.seed import seed

    token = user_tokens(user=seed().fan)["access"]
    from django.db import connections

    connections.close_all()

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        **production,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "PYTHON": sys.executable,
        "BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": str(args.web_workers),
    }
    log = (tmp / "web.log").open("ab")
    web = subprocess.Popen(
        [str(ROOT / "deploy" / "entrypoint.sh"), "web", "--access-logfile", "/dev/null"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    procs.append(web)
    auth = {"Authorization": f"Bearer {token}"}
    cases = throughput_cases(auth)
    rows = []
    bursts = []
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/v1/health/", proc=web, timeout=180)
        for label, api_path, base_path, headers in cases:
            for path in (api_path, base_path):
                run_load(
                    host="127.0.0.1", port=port, path=path, seconds=1.5,
                    threads=args.threads, headers=headers,
                )  # fmt: skip
            rps: dict[str, list[float]] = {api_path: [], base_path: []}
            errors = 0
            for round_no in range(args.rounds):
                order = (api_path, base_path) if round_no % 2 == 0 else (base_path, api_path)
                for path in order:
                    result = run_load(
                        host="127.0.0.1", port=port, path=path,
                        seconds=args.seconds, threads=args.threads, headers=headers,
                    )  # fmt: skip
                    rps[path].append(result.rps)
                    errors += result.errors
            ratio = statistics.median(
                a / b for a, b in zip(rps[api_path], rps[base_path], strict=True)
            )
            api_rps = statistics.median(rps[api_path])
            rows.append((label, api_rps, statistics.median(rps[base_path]), ratio, errors))
        for clients in BURSTS:
            bursts.append((clients, *burst(port, "/api/v1/batches/", clients)))
    finally:
        stop(procs)
        _admin_sql(server_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

    print(
        f"\nProduction profile (deploy/entrypoint.sh web: gunicorn {args.web_workers} sync "
        f"workers, DEBUG off, PostgreSQL, Redis): {args.threads} closed-loop clients, "
        f"{args.rounds}x{args.seconds:g}s per side (ABBA); ratio: median of paired slices"
    )
    print("| endpoint | DRF req/s | bare Django req/s | ratio | target | errors |")
    print("|---|---:|---:|---:|---|---:|")
    failed = False
    for label, api_rps, base_rps, ratio, errors in rows:
        ok = ratio >= TARGET_RATIO and errors == 0
        failed |= errors > 0
        print(
            f"| {label} | {api_rps:,.0f} | {base_rps:,.0f} | {ratio:.2f} | "
            f"≥ {TARGET_RATIO} {'met' if ok else 'MISSED'} | {errors} |"
        )
    print("\n| burst of new connections | 200s | errors | seconds |")
    print("|---:|---:|---:|---:|")
    for clients, succeeded, errors, seconds in bursts:
        failed |= errors > 0
        print(f"| {clients} | {succeeded} | {errors} | {seconds:.2f} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
