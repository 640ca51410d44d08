"""The list endpoints serialize `.values()` rows (trackpacks/api/representations.py) for speed;
their output must stay exactly what the ModelSerializers give for the same objects, and their
query count must not grow with the page size."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from tests.factories import make_batch, make_order, make_pack, make_user
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


def test_pack_list_matches_the_serializer_for_intents_and_stuck_openings(
    auth_api: Any, user: User, settings: Any, tmp_path: Any
) -> None:
    """`open_intent` (a wallet call) and `stuck` come out the same from rows and serializer."""
    from web3 import Web3

    from chain.client import TRACKPACKS, DeployedContract, Deployment, write_deployment

    # This test's own record: the session's "no deployment" path must stay empty.
    settings.CHAIN_DEPLOYMENT_RECORD = tmp_path / "31337.json"
    write_deployment(  # the wallet calls are encoded offline; no node is contacted
        Deployment(
            chain_id=settings.CHAIN_ID,
            contracts={
                TRACKPACKS: DeployedContract(
                    address=Web3.to_checksum_address("0x" + "cd" * 20), block=0
                )
            },
            key_hash="",
            subscription_id=0,
        )
    )
    batch = make_batch(songs=6)
    now = timezone.now()
    make_pack(owner=user, batch=batch, open_intent_expires_at=now + timedelta(minutes=5))
    make_pack(owner=user, batch=batch, open_intent_expires_at=now - timedelta(minutes=5))
    for offset, custody in enumerate(("self", "custodial")):
        stuck = make_pack(owner=user, batch=batch, status=PackStatus.OPENING, custody=custody)
        Opening.objects.create(
            pack=stuck, request_id=2**255 + offset, requested_at=now - timedelta(days=2)
        )
    body = auth_api.get("/api/v1/packs/?page_size=100").json()
    _same(body["results"], s.PackSerializer(selectors.pack_list(user=user), many=True).data)
    assert [(p["status"], (p["open_intent"] or {}).get("action")) for p in body["results"]] == [
        ("stuck", None),
        ("stuck", "retry"),
        ("unopened", None),
        ("unopened", "open"),
    ]


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


@pytest.mark.parametrize(
    ("query", "count", "rows", "has_next"),
    [
        ("page_size=2", 5, 2, True),
        ("page_size=2&page=2", 5, 2, True),
        ("page_size=2&page=3", 5, 1, False),
        ("page_size=5", 5, 5, False),
        ("page_size=6", 5, 5, False),
        ("page_size=4&page=2", 5, 1, False),
    ],
)
def test_page_counts_with_and_without_the_count_query(
    api: Any, query: str, count: int, rows: int, has_next: bool
) -> None:
    make_batch(songs=5)
    body = api.get(f"/api/v1/songs/?{query}").json()
    assert (body["count"], len(body["results"]), bool(body["next"])) == (count, rows, has_next)


def test_a_last_page_needs_no_count_query(
    auth_api: Any, user: User, django_assert_num_queries: Any
) -> None:
    batch = make_batch(songs=2)
    for _ in range(3):
        make_pack(owner=user, batch=batch)
    with django_assert_num_queries(2):  # the JWT user, the page
        body = auth_api.get("/api/v1/packs/").json()
    assert body["count"] == 3


def test_a_whole_table_is_counted_without_the_orm(api: Any, django_assert_num_queries: Any) -> None:
    make_batch(songs=5)
    with django_assert_num_queries(2) as queries:  # the page (one row more), the count
        body = api.get("/api/v1/songs/?page_size=2").json()
    assert body["count"] == 5
    assert queries.captured_queries[1]["sql"] == 'SELECT COUNT(*) FROM "trackpacks_song"'


def test_a_filtered_list_is_counted_with_its_filter(auth_api: Any, user: User) -> None:
    batch = make_batch(songs=2)
    for _ in range(3):
        make_pack(owner=user, batch=batch)
    make_pack(owner=make_user(), batch=batch)
    assert auth_api.get("/api/v1/packs/?page_size=2").json()["count"] == 3


@pytest.mark.parametrize("query", ["page=3&page_size=2", "page=abc", "page=0", "page=2.0"])
def test_odd_pages_fail_like_the_stock_paginator(auth_api: Any, user: User, query: str) -> None:
    """Orders use the project's stock paginator: same status and body for the same query."""
    batch = make_batch(songs=3)
    for _ in range(3):
        make_order(user=user, batch=batch)
    looked_ahead = auth_api.get(f"/api/v1/songs/?{query}")
    stock = auth_api.get(f"/api/v1/orders/?{query}")
    assert looked_ahead.status_code == stock.status_code >= 400
    assert looked_ahead.json() == stock.json()


def test_an_empty_list_is_one_empty_page(api: Any) -> None:
    body = api.get("/api/v1/batches/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
