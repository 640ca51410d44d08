"""The product's URLs plus the baseline: bare Django `JsonResponse` views over `.values()` of
the same rows (same fields, same page) as the DRF list endpoints they are compared with.

They do the minimum a hand-written endpoint would: one query for the page (plus one for the
pool / revealed songs / the JWT user where the API needs it), no count, no serializer."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework_simplejwt.authentication import JWTAuthentication

from config.urls import urlpatterns as product_urlpatterns
from trackpacks.models import PoolEntry, RevealedSong, Song
from trackpacks.selectors import SONG_ROW_FIELDS, batch_rows, pack_rows

SONG_FIELDS = SONG_ROW_FIELDS  # the same columns the API's song rows carry
_jwt = JWTAuthentication()


def _page_size(request: HttpRequest, default: int = 20) -> int:
    return min(int(request.GET.get("page_size", default)), 100)


def songs(request: HttpRequest) -> JsonResponse:
    rows = list(Song.objects.values(*SONG_FIELDS)[: _page_size(request)])
    return JsonResponse({"results": rows})


def batches(request: HttpRequest) -> JsonResponse:
    rows: list[Any] = list(batch_rows()[: _page_size(request)])
    pool: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    for entry in PoolEntry.objects.filter(batch_id__in=list(pool)).values(
        "batch_id", "weight", *(f"song__{f}" for f in SONG_FIELDS)
    ):
        pool[entry["batch_id"]].append(entry)
    for row in rows:
        row["price_wei"] = str(row["price_wei"])
        row["pool"] = pool[row["id"]]
    return JsonResponse({"results": rows})


def packs(request: HttpRequest) -> JsonResponse:
    authenticated = _jwt.authenticate(request)  # type: ignore[arg-type]
    if authenticated is None:
        return JsonResponse({"error": "unauthenticated"}, status=401)
    user = authenticated[0]
    rows: list[Any] = list(pack_rows(user=user)[: _page_size(request)])  # type: ignore[arg-type]
    revealed: dict[int, list[dict[str, Any]]] = {}
    opening_ids = [row["opening__id"] for row in rows if row["opening__id"]]
    if opening_ids:
        for song in RevealedSong.objects.filter(opening_id__in=opening_ids).values(
            "opening_id", *(f"song__{f}" for f in SONG_FIELDS)
        ):
            revealed.setdefault(song["opening_id"], []).append(song)
    for row in rows:
        row["songs"] = revealed.get(row["opening__id"], [])
    return JsonResponse({"results": rows})


urlpatterns = [
    path("bench/baseline/songs/", songs),
    path("bench/baseline/batches/", batches),
    path("bench/baseline/packs/", packs),
    *product_urlpatterns,
]
