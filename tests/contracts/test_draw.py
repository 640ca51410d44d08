"""The on-chain draw equals the specification's linear walk (scripts/draw.py), for many words
and pools of every shape, and always gives 5 distinct songs."""

import random

from conftest import draw_songs, now

from scripts.draw import inclusion_probabilities, set_probabilities


def _pool(tp, admin, batch_id, songs, weights):
    tp.createBatch(batch_id, 1, 10, now(), 0, songs, weights, {"from": admin})


def test_draw_matches_the_walk_for_random_pools(tp, admin):
    rng = random.Random(20261201)
    catalog = list(range(5000, 5200))
    tp.registerSongs(catalog, [0] * len(catalog), {"from": admin})
    shapes = [5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64]
    for batch_id, size in enumerate(shapes, start=100):
        songs = rng.sample(catalog, size)
        heavy = rng.random() < 0.5
        weights = [rng.randint(1, 2**25 if heavy else 100) for _ in range(size)]
        _pool(tp, admin, batch_id, songs, weights)
        for _ in range(25):
            word = rng.getrandbits(256)
            onchain = [int(s) for s in tp.drawSongs(batch_id, word)]
            assert onchain == draw_songs(word, songs, weights), (size, word)
            assert len(set(onchain)) == 5


def test_five_song_pool_gives_every_song(tp, admin):
    songs, weights = [11, 12, 13, 14, 15], [1, 1000, 3, 70000, 9]
    tp.registerSongs(songs, [0] * 5, {"from": admin})
    _pool(tp, admin, 200, songs, weights)
    for word in range(200):
        drawn = [int(s) for s in tp.drawSongs(200, word)]
        assert sorted(drawn) == songs
        assert drawn == draw_songs(word, songs, weights)


def test_extreme_weights(tp, admin):
    """One song holds almost all the weight; the others still come out (without replacement)."""
    songs = [21, 22, 23, 24, 25, 26]
    weights = [2**32 - 1 - 5, 1, 1, 1, 1, 1]
    tp.registerSongs(songs, [0] * 6, {"from": admin})
    _pool(tp, admin, 201, songs, weights)
    for word in range(50):
        drawn = [int(s) for s in tp.drawSongs(201, word)]
        assert drawn == draw_songs(word, songs, weights)
        assert drawn[0] == 21 or 21 in drawn


def test_exact_probabilities_are_distributions():
    weights = [50, 50, 50, 15, 15, 5]
    sets = set_probabilities(weights)
    assert sum(sets.values()) == 1
    incl = inclusion_probabilities(weights)
    assert sum(incl) == 5  # every pack holds 5 songs
    # The lightest song is far more likely than 5/155 per draw would suggest, and less than 1.
    assert 0 < incl[5] < incl[3] < incl[0] < 1
