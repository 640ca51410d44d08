"""Catalog, packs and metadata over HTTP, without a chain."""

from typing import Any

import pytest

from accounts.models import User
from tests.factories import make_batch, make_pack, make_song, make_user
from trackpacks.models import PACK_ID_OFFSET, PackStatus

pytestmark = pytest.mark.django_db


def test_songs_are_public_and_paginated(api: Any) -> None:
    for _ in range(3):
        make_song()
    body = api.get("/api/v1/songs/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
    song = body["results"][0]
    assert song["metadata_url"] == f"/metadata/{int(song['token_id']):064x}.json"


def test_page_size_is_capped(api: Any) -> None:
    for _ in range(3):
        make_song()
    body = api.get("/api/v1/songs/?page_size=100000").json()
    assert len(body["results"]) == 3  # capped at 100, not an error


def test_page_out_of_range_is_404_with_error_body(api: Any) -> None:
    response = api.get("/api/v1/songs/?page=99")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_public_endpoints_ignore_a_stale_token(api: Any) -> None:
    api.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")
    assert api.get("/api/v1/batches/").status_code == 200


def test_batch_shows_price_remaining_and_pool(api: Any) -> None:
    batch = make_batch(songs=3, supply=10, price_wei=12345678901234567890)
    body = api.get(f"/api/v1/batches/{batch.pk}/").json()
    assert body["price"] == {
        "amount_cents": 500,
        "currency": "usd",
        "amount_wei": "12345678901234567890",
    }
    assert (body["supply"], body["remaining"]) == (10, 10)
    assert body["pack_token_id"] == str(PACK_ID_OFFSET + batch.pk)
    assert len(body["pool"]) == 3
    assert {"song", "weight"} <= set(body["pool"][0])


@pytest.mark.parametrize("count", [1, 8])
def test_list_queries_do_not_grow_with_rows(
    api: Any, count: int, django_assert_max_num_queries: Any, user: User
) -> None:
    batches = [make_batch(songs=4) for _ in range(count)]
    for batch in batches:
        make_pack(owner=user, batch=batch)
    with django_assert_max_num_queries(3):
        assert api.get("/api/v1/batches/?page_size=50").status_code == 200
    with django_assert_max_num_queries(2):
        assert api.get("/api/v1/songs/?page_size=50").status_code == 200
    api.force_authenticate(user)
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/packs/?page_size=50").status_code == 200


def test_packs_require_auth(api: Any) -> None:
    assert api.get("/api/v1/packs/").status_code == 401


def test_packs_are_scoped_to_their_owner(auth_api: Any, user: User) -> None:
    batch = make_batch()
    mine = make_pack(owner=user, batch=batch)
    theirs = make_pack(owner=make_user(), batch=batch)
    ids = [p["id"] for p in auth_api.get("/api/v1/packs/").json()["results"]]
    assert ids == [mine.pk]
    assert auth_api.get(f"/api/v1/packs/{theirs.pk}/").status_code == 404
    response = auth_api.post(f"/api/v1/packs/{theirs.pk}/open/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PackStatus.UNOPENED


def test_opening_an_opened_pack_is_a_conflict(auth_api: Any, user: User) -> None:
    pack = make_pack(owner=user, batch=make_batch(), status=PackStatus.OPENED)
    response = auth_api.post(f"/api/v1/packs/{pack.pk}/open/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "pack_not_unopened"


def test_song_metadata_follows_eip1155(client: Any) -> None:
    song = make_song(title="Neon Tide", artist="Sela", rarity="epic")
    response = client.get(f"/metadata/{song.token_id:064x}.json")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Neon Tide"
    assert body["animation_url"] == song.audio_url
    assert {"trait_type": "Artist", "value": "Sela"} in body["attributes"]
    assert {"trait_type": "Rarity", "value": "Epic"} in body["attributes"]


def test_pack_metadata(client: Any) -> None:
    batch = make_batch(name="Genesis")
    response = client.get(f"/metadata/{PACK_ID_OFFSET + batch.pk:064x}.json")
    assert response.status_code == 200
    assert "Genesis" in response.json()["name"]


@pytest.mark.parametrize("token", ["1", "zz" * 32, f"{999999:064x}"])
def test_metadata_unknown_or_malformed_ids_are_404(client: Any, token: str) -> None:
    response = client.get(f"/metadata/{token}.json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
