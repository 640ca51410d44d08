"""A Pinata stand-in on loopback speaking the part of its HTTP API we use, as documented:
`Authorization: Bearer <JWT>`, `POST /pinning/pinFileToIPFS` (multipart: `file` parts, a
directory as `folder/name` parts, `pinataOptions`, `pinataMetadata`) and
`POST /pinning/pinJSONToIPFS` (`pinataContent`, ...), answering `{"IpfsHash", "PinSize",
"Timestamp", "isDuplicate"}` or an error body `{"error": {"reason", "details"}}`. Scripted
answers (429 with Retry-After, 5xx, ...) are served first, one per request."""

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ipfs.pinata import json_bytes
from ipfs.unixfs import directory_node, file_node


@dataclass
class Recorded:
    path: str
    authorization: str
    content_type: str
    body: bytes


@dataclass
class FakePinata:
    jwt: str = "test-pinata-jwt"
    scripted: deque[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    pins: dict[str, int] = field(default_factory=dict)  # CID -> PinSize
    answer_cid: str | None = None  # answer this CID instead of the real one (a misbehaving import)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> "FakePinata":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fake.requests.append(
                    Recorded(
                        self.path,
                        self.headers.get("Authorization", ""),
                        self.headers.get("Content-Type", ""),
                        body,
                    )
                )
                status, headers, answer = fake.handle(self.path, self.headers, body)
                encoded = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def handle(
        self, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if self.scripted:
            return self.scripted.popleft()
        if headers.get("Authorization") != f"Bearer {self.jwt}":
            return 401, {}, _error("INVALID_CREDENTIALS", "Invalid/expired credentials")
        try:
            if path == "/pinning/pinFileToIPFS":
                node = self._pin_files(headers.get("Content-Type", ""), body)
            elif path == "/pinning/pinJSONToIPFS":
                node = self._pin_json(body)
            else:
                return 404, {}, _error("NOT_FOUND", path)
        except ValueError as exc:
            return 400, {}, _error("INVALID_REQUEST", str(exc))
        cid = self.answer_cid or node.cid_str
        duplicate = cid in self.pins
        self.pins[cid] = node.dag_size
        return (
            200,
            {},
            {
                "IpfsHash": cid,
                "PinSize": node.dag_size,
                "Timestamp": "2026-12-01T00:00:00.000Z",
                "isDuplicate": duplicate,
            },
        )

    def _pin_files(self, content_type: str, body: bytes) -> Any:
        if not content_type.startswith("multipart/form-data"):
            raise ValueError("Expected multipart/form-data.")
        form = message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        files: dict[str, bytes] = {}
        options: dict[str, Any] = {}
        for part in form.get_payload():
            assert isinstance(part, Message)
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            if name == "file":
                files[str(part.get_filename())] = payload
            elif name == "pinataOptions":
                options = json.loads(payload)
            elif name == "pinataMetadata":
                json.loads(payload)
        if options.get("cidVersion") != 1:
            raise ValueError("This fake only imports with cidVersion 1.")
        if not files:
            raise ValueError("No file part.")
        if len(files) == 1 and "/" not in next(iter(files)):
            return file_node(next(iter(files.values())))
        folders = {name.split("/", 1)[0] for name in files}
        if len(folders) != 1 or not all("/" in name for name in files):
            raise ValueError("Directory parts must share one folder.")
        return directory_node(
            {name.split("/", 1)[1]: file_node(content) for name, content in files.items()}
        )

    def _pin_json(self, body: bytes) -> Any:
        request = json.loads(body)
        if request.get("pinataOptions", {}).get("cidVersion") != 1:
            raise ValueError("This fake only imports with cidVersion 1.")
        if "pinataContent" not in request:
            raise ValueError("pinataContent is required.")
        return file_node(json_bytes(request["pinataContent"]))


def _error(reason: str, details: str) -> dict[str, Any]:
    return {"error": {"reason": reason, "details": details}}
