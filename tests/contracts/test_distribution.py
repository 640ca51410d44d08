"""Statistical check of the reveal against the EXACT without-replacement probabilities:
2,000 VRF fulfilments with seeded words on a 7-song pool.

The exact probability of each possible pack content (a 5-set of the 7 songs; 21 of them) and of
each song being in a pack are computed by enumerating all 2,520 ordered draws with fractions
(scripts/draw.py). Packs are opened and fulfilled in chunks of 50 per transaction through two
test-only helpers (PackHolder.openMany, BatchFulfiller.fulfilMany); the mock still calls
TrackPacks' callback once per request, exactly as the coordinator would. The words are seeded,
so the test is deterministic: it cannot flake.
"""

import math
import random

from brownie import web3
from brownie.network.transaction import TransactionReceipt
from conftest import draw_songs, now

from scripts.draw import inclusion_probabilities, set_probabilities

PACKS = 2_000
CHUNK = 50
BATCH = 11
POOL = {71: 50, 72: 50, 73: 30, 74: 15, 75: 15, 76: 5, 77: 3}


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square variable with df degrees of freedom, i.e. the regularized
    upper incomplete gamma Q(df/2, x/2); series for small x, Lentz continued fraction otherwise."""
    a, z = df / 2.0, x / 2.0
    if z <= 0:
        return 1.0
    log_prefix = a * math.log(z) - z - math.lgamma(a)
    if z < a + 1:
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-15:
            n += 1
            term *= z / n
            total += term
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = z + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(log_prefix) * h


def chi_square(observed: dict, probabilities: dict, n: int) -> float:
    return sum((observed.get(k, 0) - n * p) ** 2 / (n * p) for k, p in probabilities.items())


def send_heavy(contract, method: str, args: list, sender) -> TransactionReceipt:
    """Sends a large transaction with plain web3 and waits for its receipt. Brownie's own
    confirmation loop sometimes reports multi-million-gas transactions on anvil as 'dropped'."""
    data = getattr(contract, method).encode_input(*args)
    txid = web3.eth.send_transaction(
        {"from": sender.address, "to": contract.address, "data": data, "gas": 15_000_000}
    )
    receipt = web3.eth.wait_for_transaction_receipt(txid, timeout=120)
    assert receipt["status"] == 1, f"{method} reverted"
    return TransactionReceipt(txid.hex() if isinstance(txid, bytes) else txid, silent=True)


def test_chi2_sf_reference_values():
    # df=2 has the closed form exp(-x/2); the others are textbook critical values.
    assert abs(chi2_sf(5.0, 2) - math.exp(-2.5)) < 1e-12
    assert abs(chi2_sf(11.0705, 5) - 0.05) < 1e-4
    assert abs(chi2_sf(20.5150, 5) - 0.001) < 1e-5
    assert abs(chi2_sf(3.0, 10) - 0.98142) < 1e-4


def test_exact_probabilities_by_hand():
    """Pool (2, 1, 1, 1, 1, 1): a song is missing from a pack exactly when it is the one left
    after 5 draws, so its inclusion probability is 1 minus that; equal weights, equal chances."""
    weights = [2, 1, 1, 1, 1, 1]
    incl = inclusion_probabilities(weights)
    sets = set_probabilities(weights)
    without_f = sum(p for members, p in sets.items() if 5 not in members)
    assert incl[5] == 1 - without_f
    assert incl[1] == incl[5]  # equal weights, equal chances
    assert incl[0] > incl[1]


def test_reveal_distribution_matches_exact_probabilities(
    tp, admin, coordinator, holder_contract, fulfiller, buyer, new_ref
):
    songs, weights = list(POOL), list(POOL.values())
    tp.registerSongs(songs, [0] * len(songs), {"from": admin})
    tp.createBatch(BATCH, 1, PACKS, now(), 0, songs, weights, {"from": admin})
    holder_contract.buy(tp, BATCH, PACKS, new_ref(), {"from": buyer, "value": PACKS})

    request_ids = []
    for _ in range(PACKS // CHUNK):
        tx = send_heavy(holder_contract, "openMany", [tp, BATCH, CHUNK], buyer)
        request_ids += [e["requestId"] for e in tx.events["PackOpenRequested"]]
    assert len(set(request_ids)) == PACKS
    assert tp.balanceOf(holder_contract, tp.packTokenId(BATCH)) == 0

    rng = random.Random(20261201)
    words = [rng.getrandbits(256) for _ in range(PACKS)]
    revealed = {}
    for start in range(0, PACKS, CHUNK):
        ids, chunk_words = request_ids[start : start + CHUNK], words[start : start + CHUNK]
        tx = send_heavy(fulfiller, "fulfilMany", [coordinator, tp, ids, chunk_words], buyer)
        assert all(e["success"] for e in tx.events["RandomWordsFulfilled"])
        for event in tx.events["PackOpened"]:
            revealed[event["requestId"]] = list(event["songIds"])
    assert len(revealed) == PACKS

    # Every pack: exactly the documented draw, 5 distinct songs.
    for rid, word in zip(request_ids, words, strict=True):
        assert revealed[rid] == draw_songs(word, songs, weights)
        assert len(set(revealed[rid])) == 5
    # Minted balances agree with the events.
    for song in songs:
        assert tp.balanceOf(holder_contract, song) == sum(song in p for p in revealed.values())

    # Pack contents (unordered 5-sets) against their exact probabilities; sets expected fewer
    # than 5 times are pooled so the chi-square approximation holds.
    exact = {
        frozenset(songs[i] for i in k): float(p) for k, p in set_probabilities(weights).items()
    }
    observed = {}
    for five in revealed.values():
        observed[frozenset(five)] = observed.get(frozenset(five), 0) + 1
    small = [k for k, p in exact.items() if PACKS * p < 5]
    probs = {k: p for k, p in exact.items() if k not in small}
    counts = {k: observed.get(k, 0) for k in probs}
    if small:
        probs["pooled"] = sum(exact[k] for k in small)
        counts["pooled"] = sum(observed.get(k, 0) for k in small)
    assert set(observed) <= set(exact)
    p_sets = chi2_sf(chi_square(counts, probs, PACKS), len(probs) - 1)

    # Each song's inclusion count against its exact inclusion probability (binomial z-score).
    incl = [float(p) for p in inclusion_probabilities(weights)]
    z = []
    for song, p in zip(songs, incl, strict=True):
        hits = sum(song in five for five in revealed.values())
        z.append((hits - PACKS * p) / math.sqrt(PACKS * p * (1 - p)))
    print(f"sets p={p_sets:.4f} categories={len(probs)}; inclusion z={[round(v, 2) for v in z]}")
    assert p_sets > 0.001
    assert max(abs(v) for v in z) < 4.0  # family-wise false alarm < 0.05% for 7 songs
