"""API throughput under gunicorn (2 sync workers) vs a bare Django `JsonResponse` baseline.

For each endpoint the DRF view and its baseline (benchmarks/bench_urls.py: same rows, same
fields, `.values()`, same database, same middleware) are loaded alternately in the same run
with the same closed-loop generator; we report requests/s for both and the ratio.

    .venv/bin/python -m benchmarks.api_throughput [--seconds 1.5] [--rounds 6] [--threads 4]
"""

import argparse
import json
import statistics
import sys
import urllib.request

from benchmarks.harness import prepare, start_gunicorn, throughput_cases
from core.localprocs import stop

TARGET_RATIO = 0.7


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.5, help="per measurement slice")
    parser.add_argument("--rounds", type=int, default=6, help="alternating slices per side")
    parser.add_argument("--threads", type=int, default=4, help="concurrent connections")
    parser.add_argument("--warmup", type=float, default=1.5)
    args = parser.parse_args()

    tmp = prepare("api")
    from accounts.services import user_tokens
    from benchmarks.loadgen import run_load
    from benchmarks.seed import seed

    seeded = seed()
    token = user_tokens(user=seeded.fan)["access"]
    auth = {"Authorization": f"Bearer {token}"}
    cases = throughput_cases(auth)
    server, port = start_gunicorn(tmp)
    rows = []
    try:
        for label, api_path, base_path, headers in cases:
            _check_same_rows(port, api_path, base_path, headers)
            for path in (api_path, base_path):  # warm both workers and their caches
                run_load(
                    host="127.0.0.1",
                    port=port,
                    path=path,
                    seconds=args.warmup,
                    threads=args.threads,
                    headers=headers,
                )
            rps: dict[str, list[float]] = {api_path: [], base_path: []}
            errors = 0
            for round_no in range(args.rounds):
                # ABBA order: a load trend on the machine hits both sides alike.
                order = (api_path, base_path) if round_no % 2 == 0 else (base_path, api_path)
                for path in order:
                    result = run_load(
                        host="127.0.0.1",
                        port=port,
                        path=path,
                        seconds=args.seconds,
                        threads=args.threads,
                        headers=headers,
                    )
                    rps[path].append(result.rps)
                    errors += result.errors
            api_rps = statistics.median(rps[api_path])
            base_rps = statistics.median(rps[base_path])
            # The ratio of each adjacent pair of slices, then the median: robust to other
            # processes' load coming and going during the run.
            ratio = statistics.median(
                a / b for a, b in zip(rps[api_path], rps[base_path], strict=True)
            )
            rows.append((label, api_rps, base_rps, ratio, errors))
    finally:
        stop([server])

    print(
        f"\nAPI throughput: gunicorn 2 sync workers, {args.threads} closed-loop clients, "
        f"{args.rounds}x{args.seconds:g}s per side (ABBA) after {args.warmup:g}s warm-up, SQLite; "
        "req/s: median slice; ratio: median of paired slices"
    )
    print("| endpoint | DRF req/s | bare Django req/s | ratio | target | errors |")
    print("|---|---:|---:|---:|---|---:|")
    failed = False
    for label, api_rps, base_rps, ratio, errors in rows:
        ok = ratio >= TARGET_RATIO and errors == 0
        failed |= not ok
        print(
            f"| {label} | {api_rps:,.0f} | {base_rps:,.0f} | {ratio:.2f} | "
            f"≥ {TARGET_RATIO} {'met' if ok else 'MISSED'} | {errors} |"
        )
    return 1 if failed and "--strict" in sys.argv else 0


def _check_same_rows(
    port: int, api_path: str, base_path: str, headers: dict[str, str] | None
) -> None:
    """The two sides must return the same number of rows, or the comparison means nothing."""
    counts = []
    for path in (api_path, base_path):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (loopback)
            counts.append(len(json.load(response)["results"]))
    if counts[0] != counts[1] or counts[0] == 0:
        raise SystemExit(f"{api_path}: {counts[0]} rows vs baseline {counts[1]}")


if __name__ == "__main__":
    sys.exit(main())
