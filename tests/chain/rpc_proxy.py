"""A JSON-RPC proxy in front of anvil that misbehaves the way real nodes and providers do.

Faults (set the attributes while the proxy runs; each is off by default):
- `lag`: the node is this many blocks behind: `eth_blockNumber` answers less, blocks above its
  head are `null` (web3: BlockNotFound), "latest" means its head, receipts of transactions in
  later blocks are `null`, logs stop at its head;
- `missing_blocks`: block numbers answered `null` although they exist (a load-balanced node);
- `hide_receipts`: every `eth_getTransactionReceipt` answers `null`;
- `drop_sends`: the next N `eth_sendRawTransaction` are swallowed and answered with the hash, as
  if accepted (the node then loses them);
- `replace_send`: a function given the raw transaction that returns the raw bytes to forward
  instead (a replacement with the same nonce), or None to forward the original;
- `refuse_sends`: the next N sends get a JSON-RPC error with `refusal` as message;
  `forward_then_refuse`: the next N sends are forwarded AND answered with `refusal` (one node of
  a pool took it, another refused it);
- `rate_limited`: the next N requests get HTTP 429; `stall`: the next N requests answer only
  after `stall_seconds` (the client times out first).
Every request's method is kept in `calls`, every raw transaction received in `sent_raw`.
"""

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from eth_utils.crypto import keccak
from hexbytes import HexBytes

BaseFeeRefusal = "max fee per gas less than block base fee"


class RpcProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.lag = 0
        self.missing_blocks: set[int] = set()
        self.hide_receipts = False
        self.drop_sends = 0
        self.replace_send: Callable[[str], str | None] | None = None
        self.refuse_sends = 0
        self.forward_then_refuse = 0
        self.refusal = BaseFeeRefusal
        self.rate_limited = 0
        self.stall = 0
        self.stall_seconds = 2.0
        self.calls: list[str] = []
        self.sent_raw: list[str] = []
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._session.close()

    def reset(self) -> None:
        self.lag = 0
        self.missing_blocks = set()
        self.hide_receipts = False
        self.drop_sends = self.refuse_sends = self.forward_then_refuse = 0
        self.replace_send = None
        self.rate_limited = self.stall = 0

    # ------------------------------------------------------------------ upstream

    def _upstream(self, method: str, params: list[Any]) -> dict[str, Any]:
        response = self._session.post(
            self.upstream,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            timeout=30,
        )
        body: dict[str, Any] = response.json()
        return body

    def _real_head(self) -> int:
        return int(self._upstream("eth_blockNumber", [])["result"], 16)

    def _visible_head(self) -> int:
        return max(0, self._real_head() - self.lag)

    # ------------------------------------------------------------------ faults

    def _take(self, name: str) -> bool:
        with self._lock:
            left = getattr(self, name)
            if left > 0:
                setattr(self, name, left - 1)
                return True
            return False

    def answer(self, call: dict[str, Any]) -> dict[str, Any]:
        method = str(call.get("method"))
        params = list(call.get("params") or [])
        with self._lock:
            self.calls.append(method)
        reply = self._dispatch(method, params)
        reply["id"] = call.get("id")
        reply["jsonrpc"] = "2.0"
        return reply

    def _result(self, value: Any) -> dict[str, Any]:
        return {"result": value}

    def _dispatch(self, method: str, params: list[Any]) -> dict[str, Any]:
        if method == "eth_sendRawTransaction":
            return self._send(str(params[0]))
        if method == "eth_blockNumber" and self.lag:
            return self._result(hex(self._visible_head()))
        if method == "eth_getBlockByNumber":
            return self._block_by_number(params)
        if method == "eth_getBlockByHash":
            return self._hide_if_above_head(self._upstream(method, params))
        if method == "eth_getTransactionReceipt":
            if self.hide_receipts:
                return self._result(None)
            return self._hide_if_above_head(self._upstream(method, params))
        if method == "eth_getLogs" and self.lag:
            return self._logs(params)
        at_latest = len(params) > 1 and params[-1] == "latest"
        if self.lag and at_latest and method in ("eth_getTransactionCount", "eth_call"):
            params = [*params[:-1], hex(self._visible_head())]
        return self._upstream(method, params)

    def _block_by_number(self, params: list[Any]) -> dict[str, Any]:
        tag = params[0]
        if tag in ("latest", "safe", "finalized") and self.lag:
            params = [hex(self._visible_head()), *params[1:]]
        elif isinstance(tag, str) and tag.startswith("0x"):
            number = int(tag, 16)
            if number in self.missing_blocks or (self.lag and number > self._visible_head()):
                return self._result(None)
        return self._upstream("eth_getBlockByNumber", params)

    def _hide_if_above_head(self, reply: dict[str, Any]) -> dict[str, Any]:
        result = reply.get("result")
        if not self.lag or not isinstance(result, dict) or result.get("blockNumber") is None:
            return reply
        if int(result["blockNumber"], 16) > self._visible_head():
            return self._result(None)
        return reply

    def _logs(self, params: list[Any]) -> dict[str, Any]:
        query = dict(params[0])
        head = self._visible_head()
        to_block = query.get("toBlock", "latest")
        if to_block == "latest" or int(to_block, 16) > head:
            query["toBlock"] = hex(head)
        return self._upstream("eth_getLogs", [query])

    def _send(self, raw: str) -> dict[str, Any]:
        with self._lock:
            self.sent_raw.append(raw)
        tx_hash = "0x" + keccak(HexBytes(raw)).hex()
        if self._take("refuse_sends"):
            return {"error": {"code": -32000, "message": self.refusal}}
        if self._take("drop_sends"):
            return self._result(tx_hash)
        forwarded = raw
        if self.replace_send is not None:
            forwarded = self.replace_send(raw) or raw
        reply = self._upstream("eth_sendRawTransaction", [forwarded])
        if self._take("forward_then_refuse"):
            return {"error": {"code": -32000, "message": self.refusal}}
        if forwarded != raw and "result" in reply:
            return self._result(tx_hash)
        return reply

    # ------------------------------------------------------------------ HTTP

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy._take("rate_limited"):
                    self._reply(429, b'{"error": "Too Many Requests"}')
                    return
                if proxy._take("stall"):
                    time.sleep(proxy.stall_seconds)
                payload = json.loads(body)
                if isinstance(payload, list):
                    answer: Any = [proxy.answer(call) for call in payload]
                else:
                    answer = proxy.answer(payload)
                self._reply(200, json.dumps(answer).encode())

            def _reply(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
