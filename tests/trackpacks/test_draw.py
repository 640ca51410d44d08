"""The Python mirror of the contract's draw and the exact per-song pack probabilities."""

from fractions import Fraction
from typing import Any

import pytest
from web3 import Web3

from core.errors import ApplicationError
from tests.factories import make_batch, make_song
from trackpacks.draw import draw_songs, inclusion_probabilities, probability_text
from trackpacks.models import PoolEntry
from trackpacks.services import PoolItem, batch_create

DEMO_WEIGHTS = [60] * 12 + [25] * 6 + [12] * 4 + [3] * 2


def brute_force(weights: list[int]) -> list[Fraction]:
    """Every ordered sequence of 5 distinct draws, weighted: the definition itself."""
    included = [Fraction(0)] * len(weights)

    def walk(taken: frozenset[int], chance: Fraction) -> None:
        if len(taken) == 5:
            for index in taken:
                included[index] += chance
            return
        left = sum(w for i, w in enumerate(weights) if i not in taken)
        for i, w in enumerate(weights):
            if i not in taken:
                walk(taken | {i}, chance * Fraction(w, left))

    walk(frozenset(), Fraction(1))
    return included


@pytest.mark.parametrize(
    "weights", [[5, 5, 3, 3, 3, 1, 7], [1, 1, 1, 1, 1], [60, 25, 12, 3, 60, 25], [9, 1, 1, 1, 1, 1]]
)
def test_inclusion_probabilities_are_exact(weights: list[int]) -> None:
    assert inclusion_probabilities(weights) == brute_force(weights)


def test_probabilities_of_a_pool_sum_to_five_songs() -> None:
    chances = inclusion_probabilities(DEMO_WEIGHTS)
    assert chances is not None
    assert sum(chances) == 5
    assert chances[0] > chances[12] > chances[18] > chances[22]
    assert probability_text(Fraction(1, 3)) == "0.333333333333"
    assert inclusion_probabilities(list(range(1, 14))) is None  # 13 distinct weights


def test_draw_gives_five_distinct_songs_from_a_five_song_pool() -> None:
    for seed in range(50):
        word = int.from_bytes(Web3.keccak(text=str(seed)), "big")
        assert sorted(draw_songs(word=word, song_ids=[7, 8, 9, 10, 11], weights=[1] * 5)) == [
            7,
            8,
            9,
            10,
            11,
        ]


def test_draw_frequencies_match_the_exact_probabilities() -> None:
    """3,000 draws (deterministic words): Pearson's statistic of the per-class counts of songs
    drawn against 3,000 x 5 x exact share stays below the 99.9% point for 3 degrees of
    freedom (16.27). Songs of a class are interchangeable, so classes are the cells."""
    ids = list(range(1, len(DEMO_WEIGHTS) + 1))
    runs = 3000
    counts = dict.fromkeys(set(DEMO_WEIGHTS), 0)
    for seed in range(runs):
        word = int.from_bytes(Web3.keccak(text=f"pack {seed}"), "big")
        drawn = draw_songs(word=word, song_ids=ids, weights=DEMO_WEIGHTS)
        assert len(set(drawn)) == 5
        for song in drawn:
            counts[DEMO_WEIGHTS[song - 1]] += 1
    exact = inclusion_probabilities(DEMO_WEIGHTS)
    assert exact is not None
    expected = dict.fromkeys(counts, 0.0)
    for weight, chance in zip(DEMO_WEIGHTS, exact, strict=True):
        expected[weight] += runs * float(chance)
    statistic = sum((counts[w] - expected[w]) ** 2 / expected[w] for w in counts)
    assert statistic < 16.27, (counts, expected)


@pytest.mark.django_db
def test_batch_detail_shows_each_songs_pack_probability(api: Any) -> None:
    batch = make_batch(songs=8)
    body = api.get(f"/api/v1/batches/{batch.pk}/").json()
    weights = [entry["weight"] for entry in body["pool"]]
    exact = inclusion_probabilities(weights)
    assert exact is not None
    assert [entry["probability"] for entry in body["pool"]] == [probability_text(p) for p in exact]
    total = sum(float(entry["probability"]) for entry in body["pool"])
    assert total == pytest.approx(5, abs=1e-9)
    listed = api.get("/api/v1/batches/").json()["results"][0]
    assert listed["pool"] == body["pool"]


@pytest.mark.django_db
def test_a_pool_needs_five_songs() -> None:
    songs = [make_song() for _ in range(4)]
    with pytest.raises(ApplicationError) as refused:
        batch_create(
            name="Tiny", price_cents=100, price_wei=1, supply=5, pool=[PoolItem(s) for s in songs]
        )
    assert refused.value.code == "invalid_pool"
    assert not PoolEntry.objects.exists()
