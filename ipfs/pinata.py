"""Pinata's pinning API (https://docs.pinata.cloud), the calls this project uses:

- `POST /pinning/pinFileToIPFS`: multipart, one `file` part per file (a directory is sent as
  parts named `<folder>/<name>`), `pinataOptions` `{"cidVersion": 1}`, `pinataMetadata`
  `{"name": ...}`;
- `POST /pinning/pinJSONToIPFS`: `{"pinataContent", "pinataOptions", "pinataMetadata"}`;

both with `Authorization: Bearer <PINATA_JWT>` and answering `{"IpfsHash", "PinSize",
"Timestamp"}`. Rate limits (429), server errors and network errors are retried with exponential
backoff (honouring `Retry-After`); other 4xx answers are final. The CID Pinata answers must be
the one computed here: a different one means the content was imported differently, and the
pin is reported as failed rather than trusted.
"""

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class PinataError(Exception):
    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


def json_bytes(content: Any) -> bytes:
    """JSON as JavaScript's JSON.stringify writes it (key order kept, no spaces, UTF-8):
    the bytes Pinata stores for pinJSONToIPFS, so both sides hash the same file."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class PinataClient:
    base_url: str
    jwt: str
    timeout: float = 60.0
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def pin_file(self, *, name: str, content: bytes, content_type: str) -> str:
        files = [("file", (name, content, content_type))]
        return self._pin_multipart(name=name, files=files)

    def pin_directory(self, *, name: str, files: Mapping[str, bytes]) -> str:
        parts = [
            ("file", (f"{name}/{filename}", content, "application/octet-stream"))
            for filename, content in sorted(files.items())
        ]
        return self._pin_multipart(name=name, files=parts)

    def pin_json(self, *, name: str, content: Any) -> str:
        body = {
            "pinataContent": content,
            "pinataOptions": {"cidVersion": 1},
            "pinataMetadata": {"name": name},
        }
        return self._call(
            "pinning/pinJSONToIPFS",
            data=json_bytes(body),
            headers={"Content-Type": "application/json"},
        )

    def _pin_multipart(self, *, name: str, files: list[tuple[str, Any]]) -> str:
        form = {
            "pinataOptions": json.dumps({"cidVersion": 1}),
            "pinataMetadata": json.dumps({"name": name}),
        }
        return self._call("pinning/pinFileToIPFS", data=form, files=files)

    def _call(self, endpoint: str, **request: Any) -> str:
        url = f"{self.base_url}/{endpoint}"
        headers = {"Authorization": f"Bearer {self.jwt}", **request.pop("headers", {})}
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._attempt(url, headers=headers, **request)
            except PinataError as exc:
                if not exc.retryable or attempt == self.max_attempts:
                    raise
                delay = exc.retry_after or self._backoff(attempt)
                logger.warning("Pinata %s: %s; retrying in %.1f s", endpoint, exc, delay)
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return float(min(self.backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))

    def _attempt(self, url: str, *, headers: dict[str, str], **request: Any) -> str:
        try:
            response = requests.post(url, headers=headers, timeout=self.timeout, **request)
        except requests.RequestException as exc:
            raise PinataError(f"{type(exc).__name__} talking to Pinata", retryable=True) from exc
        if response.status_code != 200:
            raise PinataError(
                f"HTTP {response.status_code}: {_reason(response)}",
                retryable=response.status_code in RETRYABLE_STATUS,
                status=response.status_code,
                retry_after=_retry_after(response),
            )
        try:
            cid = response.json()["IpfsHash"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PinataError("Pinata answered without an IpfsHash", retryable=True) from exc
        return str(cid)


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("reason") or error.get("details") or error)[:200]
    return str(error or body)[:200]


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), MAX_BACKOFF_SECONDS)
    except ValueError:
        return None


def pinata_client() -> PinataClient | None:
    """The configured client, or None when pins stay local (no PINATA_JWT)."""
    if not settings.PINATA_API_JWT:
        return None
    return PinataClient(
        base_url=settings.PINATA_API_URL,
        jwt=settings.PINATA_API_JWT,
        timeout=settings.PINATA_TIMEOUT_SECONDS,
        max_attempts=settings.PINATA_MAX_ATTEMPTS,
        backoff_seconds=settings.PINATA_BACKOFF_SECONDS,
    )
