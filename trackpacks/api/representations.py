"""JSON representations of list rows, built from `.values()` dicts (see the `*_rows` selectors).

The list endpoints are the hot read paths. A stock ModelSerializer spends most of a 50-row
request on per-field `to_representation` calls, DateTimeField timezone handling and model
instances (docs/BENCHMARKS.md). These functions produce exactly what the serializers in
`serializers.py` produce for the same rows (same keys, order, types and formats; pinned by
tests/trackpacks/test_list_rows.py), so the serializers stay the schema and detail source."""

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone

from trackpacks import selectors
from trackpacks.api import pack_state
from trackpacks.api.serializers import pool_probabilities
from trackpacks.models import PACK_ID_OFFSET, ChainStatus

Row = Mapping[str, Any]


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    """DRF's DateTimeField output: in the current time zone, ISO 8601, `Z` for UTC."""
    if not value:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_SONG_KEYS = (*selectors.SONG_ROW_FIELDS, "metadata_url")
_TOKEN_ID = selectors.SONG_ROW_FIELDS.index("token_id")


def _nested_song(values: selectors.SongColumns) -> dict[str, Any]:
    """SongSerializer's output for a song's columns (runs 160 times for 20 batches)."""
    song = dict(zip(_SONG_KEYS, (*values, f"/metadata/{values[_TOKEN_ID]:064x}.json"), strict=True))
    song["token_id"] = str(song["token_id"])  # a uint256: a decimal string in JSON
    return song


def songs_data(rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """The `song_rows()` dicts already have SongSerializer's keys in its order, all but the
    last: add it in place instead of copying 50 dicts."""
    for row in rows:
        row["metadata_url"] = f"/metadata/{row['token_id']:064x}.json"
        row["token_id"] = str(row["token_id"])
    return rows


def _pool_data(pool: list[tuple[int, selectors.SongColumns]]) -> list[dict[str, Any]]:
    chances = pool_probabilities([weight for weight, _ in pool])
    return [
        {"song": _nested_song(song), "weight": weight, "probability": chance}
        for (weight, song), chance in zip(pool, chances, strict=True)
    ]


def batches_data(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """BatchSerializer's output; the pools of the whole page come in one query."""
    tz = timezone.get_current_timezone()
    pools = selectors.pool_rows_by_batch(batch_ids=[row["id"] for row in rows])
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "description": row["description"],
            "price": {
                "amount_cents": row["price_cents"],
                "currency": row["currency"],
                "amount_wei": str(row["price_wei"]),
            },
            "supply": row["supply"],
            "remaining": row["available"],
            "sale_open": bool(row["sale_open"]),
            "on_chain": row["chain_status"] == ChainStatus.REGISTERED,
            "pack_token_id": str(PACK_ID_OFFSET + row["id"]),
            "pool": _pool_data(pools[row["id"]]),
            "created_at": _iso(row["created_at"], tz),
        }
        for row in rows
    ]


def _open_intent_data(row: Row, tz: tzinfo) -> dict[str, Any] | None:
    intent = pack_state.open_intent(
        custody=row["custody"],
        status=row["status"],
        batch_id=row["batch_id"],
        intent_expires_at=row["open_intent_expires_at"],
        request_id=row["opening__request_id"],
        requested_at=row["opening__requested_at"],
        revealed_at=row["opening__revealed_at"],
    )
    if intent is None:
        return None
    return {**intent, "expires_at": _iso(intent["expires_at"], tz)}


def packs_data(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """PackSerializer's output: songs only once the opening is revealed (one query, if any)."""
    tz = timezone.get_current_timezone()
    revealed = selectors.revealed_song_rows_by_opening(
        opening_ids=[row["opening__id"] for row in rows if row["opening__revealed_at"]]
    )
    return [
        {
            "id": row["id"],
            "batch": {"id": row["batch_id"], "name": row["batch__name"]},
            "order": row["order_id"],
            "custody": row["custody"],
            "holder_address": row["holder_address"],
            "status": pack_state.api_status(
                status=row["status"],
                requested_at=row["opening__requested_at"],
                revealed_at=row["opening__revealed_at"],
            ),
            "opening_id": row["opening__id"],
            "open_intent": _open_intent_data(row, tz),
            "songs": [_nested_song(song) for song in revealed[row["opening__id"]]]
            if row["opening__revealed_at"]
            else [],
            "created_at": _iso(row["created_at"], tz),
        }
        for row in rows
    ]
