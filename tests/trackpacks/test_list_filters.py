"""Filters and ordering on the lists (issue 12), on the fast `.values()` list path."""

from typing import Any

import pytest

from accounts.models import User
from tests.factories import make_batch, make_song
from trackpacks.models import Batch, ChainStatus, Pack

pytestmark = pytest.mark.django_db


def test_songs_filter_by_rarity_artist_and_search(api: Any) -> None:
    make_song(title="Blue Moon", artist="Ella", rarity="rare")
    make_song(title="Red Sun", artist="Nina", rarity="common")
    make_song(title="Blue Sky", artist="Nina", rarity="legendary")

    def titles(query: str) -> list[str]:
        response = api.get(f"/api/v1/songs/?{query}")
        assert response.status_code == 200, response.content
        return sorted(song["title"] for song in response.json()["results"])

    assert titles("rarity=rare") == ["Blue Moon"]
    assert titles("artist=nina") == ["Blue Sky", "Red Sun"]
    assert titles("search=blue") == ["Blue Moon", "Blue Sky"]
    assert titles("search=blue nina") == ["Blue Sky"]
    ordered = api.get("/api/v1/songs/?ordering=-title").json()["results"]
    assert [song["title"] for song in ordered] == ["Red Sun", "Blue Sky", "Blue Moon"]


def test_an_unknown_choice_is_a_400_not_an_empty_list(api: Any) -> None:
    response = api.get("/api/v1/songs/?rarity=mythic")
    assert response.status_code == 400
    assert "rarity" in response.json()["error"]["details"]["fields"]


def test_batches_filter_on_sale(api: Any) -> None:
    selling = make_batch(name="Selling")
    make_batch(name="Closed", sale_open=False)
    pending = make_batch(name="Pending")
    Batch.objects.filter(pk=pending.pk).update(chain_status=ChainStatus.PENDING)
    on_sale = api.get("/api/v1/batches/?on_sale=true").json()["results"]
    assert [b["id"] for b in on_sale] == [selling.pk]
    off = api.get("/api/v1/batches/?on_sale=false").json()["results"]
    assert selling.pk not in [b["id"] for b in off]
    assert len(off) == 2


def test_packs_filter_by_status_custody_and_batch(auth_api: Any, user: User) -> None:
    first, second = make_batch(), make_batch()
    for batch, status, custody in [
        (first, "unopened", "custodial"),
        (first, "opened", "custodial"),
        (second, "unopened", "self"),
    ]:
        Pack.objects.create(
            owner=user, batch=batch, status=status, custody=custody, holder_address="0x" + "1" * 40
        )

    def count(query: str) -> int:
        response = auth_api.get(f"/api/v1/packs/?{query}")
        assert response.status_code == 200, response.content
        return int(response.json()["count"])

    assert count("status=unopened") == 2
    assert count("custody=self") == 1
    assert count(f"batch={first.pk}") == 2
    assert count(f"batch={first.pk}&status=opened") == 1
    assert auth_api.get("/api/v1/packs/?custody=nobody").status_code == 400


@pytest.mark.parametrize("ordering", ["nonsense", "-", "title,artist", "password", ""])
def test_an_ordering_outside_the_schema_is_a_400(api: Any, ordering: str) -> None:
    response = api.get(f"/api/v1/songs/?ordering={ordering}")
    assert response.status_code == 400, response.content
    assert "ordering" in response.json()["error"]["details"]["fields"]
