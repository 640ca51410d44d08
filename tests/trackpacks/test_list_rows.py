"""The list endpoints serialize `.values()` rows (trackpacks/api/representations.py) for speed;
their output must stay exactly what the ModelSerializers give for the same objects, and their
query count must not grow with the page size."""

import json
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from tests.factories import make_batch, make_order, make_pack
from trackpacks import selectors
from trackpacks.api import serializers as s
from trackpacks.models import Opening, PackStatus, RevealedSong, Song

pytestmark = pytest.mark.django_db


def _same(api_results: list[dict[str, Any]], expected: Any) -> None:
    # Byte-identical JSON, key order included.
    assert json.dumps(api_results) == json.dumps(list(expected))


def test_song_list_matches_the_serializer(api: Any) -> None:
    make_batch(songs=5)
    body = api.get("/api/v1/songs/?page_size=100").json()
    _same(body["results"], s.SongSerializer(selectors.song_list(), many=True).data)


def test_batch_list_matches_the_serializer(api: Any) -> None:
    make_batch(songs=3, price_wei=2**200 + 7, description="big wei")
    make_batch(songs=0, sale_open=False, chain_status="pending")
    make_batch(songs=6)
    body = api.get("/api/v1/batches/?page_size=100").json()
    _same(body["results"], s.BatchSerializer(selectors.batch_list(), many=True).data)
    assert body["count"] == 3


def test_pack_list_matches_the_serializer(auth_api: Any, user: User) -> None:
    batch = make_batch(songs=6)
    songs = list(Song.objects.order_by("token_id"))
    order = make_order(user=user, batch=batch)
    make_pack(owner=user, batch=batch, order=order)
    opening_pack = make_pack(owner=user, batch=batch, status=PackStatus.OPENING)
    Opening.objects.create(pack=opening_pack)  # requested, not revealed: no songs yet
    opened = make_pack(owner=user, batch=make_batch(name="Other"), status=PackStatus.OPENED)
    opening = Opening.objects.create(pack=opened, request_id=7, revealed_at=timezone.now())
    for position, index in enumerate([4, 0, 4, 2, 1]):
        RevealedSong.objects.create(opening=opening, song=songs[index], position=position)
    body = auth_api.get("/api/v1/packs/?page_size=100").json()
    _same(body["results"], s.PackSerializer(selectors.pack_list(user=user), many=True).data)
    assert [len(p["songs"]) for p in body["results"]] == [5, 0, 0]


def test_paginated_rows_keep_the_page_envelope(api: Any) -> None:
    make_batch(songs=3)
    body = api.get("/api/v1/songs/?page_size=2&page=2").json()
    assert body["count"] == 3
    assert body["previous"]
    assert body["next"] is None
    assert len(body["results"]) == 1


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_list_queries_are_bounded_at_any_page_size(
    auth_api: Any, user: User, page_size: int, django_assert_max_num_queries: Any
) -> None:
    batches = [make_batch(songs=3) for _ in range(4)]
    for i in range(30):
        pack = make_pack(owner=user, batch=batches[i % 4], status=PackStatus.OPENED)
        opening = Opening.objects.create(pack=pack, request_id=i + 1, revealed_at=timezone.now())
        RevealedSong.objects.bulk_create(
            RevealedSong(opening=opening, song=entry.song, position=k)
            for k, entry in enumerate(batches[i % 4].pool.all())
        )
    for path in ("songs", "batches", "packs", "orders", "collection/withdrawals"):
        with django_assert_max_num_queries(5):
            response = auth_api.get(f"/api/v1/{path}/?page_size={page_size}")
            assert response.status_code == 200, (path, response.content)


def test_an_empty_list_is_one_empty_page(api: Any) -> None:
    body = api.get("/api/v1/batches/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
