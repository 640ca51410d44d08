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
    return dict(zip(_SONG_KEYS, (*values, f"/metadata/{values[_TOKEN_ID]:064x}.json"), strict=True))


def songs_data(rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """The `song_rows()` dicts already have SongSerializer's keys in its order, all but the
    last: add it in place instead of copying 50 dicts."""
    for row in rows:
        row["metadata_url"] = f"/metadata/{row['token_id']:064x}.json"
    return rows


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
            "pool": [
                {"song": _nested_song(song), "weight": weight} for weight, song in pools[row["id"]]
            ],
            "created_at": _iso(row["created_at"], tz),
        }
        for row in rows
    ]


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
            "status": row["status"],
            "songs": [_nested_song(song) for song in revealed[row["opening__id"]]]
            if row["opening__revealed_at"]
            else [],
            "created_at": _iso(row["created_at"], tz),
        }
        for row in rows
    ]
