"""What the API says about a pack beyond its stored status: `stuck` openings and the call the
owner's wallet is awaited for (`open_intent`). Shared by the detail serializer and the list
representation, so both read the same row values and add no query."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from chain.client import ChainNotConfigured
from trackpacks.models import Custody, PackStatus
from trackpacks.services import open_intent_live, open_retry_after, wallet_call

STUCK = "stuck"
API_PACK_STATUSES = [*PackStatus.values, STUCK]


def is_stuck(*, status: str, requested_at: datetime | None, revealed_at: datetime | None) -> bool:
    """Its VRF request has waited longer than CHAIN_OPEN_RETRY_AFTER_SECONDS."""
    return (
        status == PackStatus.OPENING
        and revealed_at is None
        and requested_at is not None
        and requested_at <= timezone.now() - open_retry_after()
    )


def api_status(*, status: str, requested_at: datetime | None, revealed_at: datetime | None) -> str:
    stuck = is_stuck(status=status, requested_at=requested_at, revealed_at=revealed_at)
    return STUCK if stuck else status


def open_intent(
    *,
    custody: str,
    status: str,
    batch_id: int,
    intent_expires_at: datetime | None,
    request_id: int | None,
    requested_at: datetime | None,
    revealed_at: datetime | None,
) -> dict[str, Any] | None:
    """Self-custody only: `openPack` while an opening intent is live, `retryOpen` once the
    request is stuck; None otherwise (custodial packs need nothing from the owner)."""
    if custody != Custody.SELF:
        return None
    try:
        return _awaited_call(
            status=status,
            batch_id=batch_id,
            intent_expires_at=intent_expires_at,
            request_id=request_id,
            requested_at=requested_at,
            revealed_at=revealed_at,
        )
    except ChainNotConfigured:
        return None


def _awaited_call(
    *,
    status: str,
    batch_id: int,
    intent_expires_at: datetime | None,
    request_id: int | None,
    requested_at: datetime | None,
    revealed_at: datetime | None,
) -> dict[str, Any] | None:
    if status == PackStatus.UNOPENED and open_intent_live(intent_expires_at):
        return {
            "action": "open",
            "wallet_call": wallet_call("openPack", [batch_id]),
            "expires_at": intent_expires_at,
        }
    if request_id is not None and is_stuck(
        status=status, requested_at=requested_at, revealed_at=revealed_at
    ):
        return {
            "action": "retry",
            "wallet_call": wallet_call("retryOpen", [int(request_id)]),
            "expires_at": None,
        }
    return None
