"""A small closed-loop HTTP load generator for loopback benchmarks.

N threads each send GET requests back to back over `http.client` (reconnecting when the server
closes the connection, as gunicorn's sync workers do after every response) for a fixed time,
and count responses. Every response must have the expected status, or the run fails: a fast
error page must never pass for throughput."""

import http.client
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_load(
    *,
    host: str,
    port: int,
    path: str,
    seconds: float,
    threads: int = 4,
    headers: dict[str, str] | None = None,
    expect_status: int = 200,
) -> LoadResult:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("benchmarks only send load to the loopback interface")
    counts = [0] * threads
    errors = [0] * threads
    stop_at = time.perf_counter() + seconds
    start = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        start.wait()
        while time.perf_counter() < stop_at:
            try:
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                response.read()
                if response.status == expect_status:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.close()

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    return LoadResult(sum(counts), time.perf_counter() - began, sum(errors))
