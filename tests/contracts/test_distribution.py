"""Statistical check of the reveal: 2,000 VRF fulfilments with seeded words.

Packs are opened and fulfilled in chunks of 100 per transaction through two test-only
helpers (PackHolder.openMany, BatchFulfiller.fulfilMany) so the test stays fast; the mock
still calls TrackPacks' callback once per request, exactly as the coordinator would.
"""

import math
import random

from brownie import web3
from brownie.network.transaction import TransactionReceipt
from conftest import CATALOG, WEIGHTS, draw_songs

PACKS = 2_000
CHUNK = 50
BATCH = 11


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


def test_reveal_distribution_matches_weights(
    tp, batch, admin, coordinator, holder_contract, fulfiller, buyer, new_ref
):
    songs, weights = list(WEIGHTS), list(WEIGHTS.values())
    tp.createBatch(BATCH, 1, PACKS, True, songs, weights, {"from": admin})
    holder_contract.buy(tp, BATCH, PACKS, new_ref(), {"from": buyer, "value": PACKS})

    request_ids = []
    for _ in range(PACKS // CHUNK):
        tx = send_heavy(holder_contract, "openMany", [tp, BATCH, CHUNK], buyer)
        request_ids += [e["requestId"] for e in tx.events["PackOpenRequested"]]
    assert len(set(request_ids)) == PACKS
    assert tp.balanceOf(holder_contract, tp.packTokenId(BATCH)) == 0

    rng = random.Random(20260301)
    words = [rng.getrandbits(256) for _ in range(PACKS)]
    revealed = {}
    for start in range(0, PACKS, CHUNK):
        ids, chunk_words = request_ids[start : start + CHUNK], words[start : start + CHUNK]
        tx = send_heavy(fulfiller, "fulfilMany", [coordinator, tp, ids, chunk_words], buyer)
        assert all(e["success"] for e in tx.events["RandomWordsFulfilled"])
        for event in tx.events["PackOpened"]:
            revealed[event["requestId"]] = list(event["songIds"])
    assert len(revealed) == PACKS

    # The on-chain draw is exactly the documented method.
    for rid, word in zip(request_ids, words, strict=False):
        assert revealed[rid] == draw_songs(word, songs, weights)

    draws = [s for five in revealed.values() for s in five]
    n = len(draws)
    assert n == 5 * PACKS
    # Minted balances agree with the events.
    for song in songs:
        assert tp.balanceOf(holder_contract, song) == draws.count(song)

    total = sum(weights)
    tiers = sorted(set(CATALOG.values()))
    tier_p = {t: sum(w for s, w in WEIGHTS.items() if CATALOG[s] == t) / total for t in tiers}
    tier_obs = {t: sum(1 for s in draws if CATALOG[s] == t) for t in tiers}
    p_tier = chi2_sf(chi_square(tier_obs, tier_p, n), len(tiers) - 1)
    song_p = {s: w / total for s, w in WEIGHTS.items()}
    song_obs = {s: draws.count(s) for s in songs}
    p_song = chi2_sf(chi_square(song_obs, song_p, n), len(songs) - 1)
    expected_tiers = {t: round(n * p) for t, p in tier_p.items()}
    print(f"tiers observed {tier_obs} expected {expected_tiers} p={p_tier:.4f}")
    print(f"songs observed {song_obs} p={p_song:.4f}")
    assert p_tier > 0.001
    assert p_song > 0.001
