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


def test_five_song_pool_reveals_every_song_through_the_callback(
    tp, admin, coordinator, holder_contract, fulfiller, buyer, new_ref
):
    """The real path (openPack -> coordinator -> callback) on a 5-song pool: every pack holds
    each of the 5 songs exactly once, whatever the word."""
    songs, weights = [31, 32, 33, 34, 35], [500, 1, 1, 1, 97]
    tp.registerSongs(songs, [0] * 5, {"from": admin})
    tp.createBatch(202, 1, 20, now(), 0, songs, weights, {"from": admin})
    holder_contract.buy(tp, 202, 20, new_ref(), {"from": buyer, "value": 20})
    tx = holder_contract.openMany(tp, 202, 20, {"from": buyer})
    ids = [e["requestId"] for e in tx.events["PackOpenRequested"]]
    words = [int.from_bytes(bytes([i]) * 32, "big") for i in range(20)]
    tx = fulfiller.fulfilMany(coordinator, tp, ids, words, {"from": buyer})
    packs = [list(e["songIds"]) for e in tx.events["PackOpened"]]
    assert len(packs) == 20
    for pack, word in zip(packs, words, strict=True):
        assert sorted(pack) == songs
        assert pack == draw_songs(word, songs, weights)
    for song in songs:
        assert tp.balanceOf(holder_contract, song) == 20
