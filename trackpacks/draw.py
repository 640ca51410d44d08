"""The pack draw, exactly as the contract runs it, and each song's chance of being in a pack.

Draw (TrackPacks.fulfillRandomWords): five distinct songs by weight, without replacement, a
pure function of the VRF word and the pool in `batchPool` order (the order the song ids were
given to `createBatch`). For draw i in 0..4, `x = keccak256(abi.encode(word, i)) % remaining`;
walk the pool skipping songs already drawn, subtracting each weight from x until x < weight;
that song is drawn and its weight leaves `remaining`. Used by the proof endpoint, the
`verify_opening` command and the tests: one implementation (no Django, eth-utils only, so
the Brownie tests can import it too).

Inclusion probability of a song (the chance it is one of a pack's 5): successive weighted
sampling has no closed form, so it is computed exactly with fractions. Songs of equal weight
are interchangeable, so the state after k draws is "how many songs of each weight class were
taken"; the distribution over these states is carried forward draw by draw (each class is
taken with probability (its songs left x weight) / (weight left)). A song's probability is its
class's expected number of draws divided by the class size. The 4 rarity classes of a 64-song
pool give at most 126 states; results are cached per weight multiset. Pools with more than
MAX_WEIGHT_CLASSES distinct weights are not computed (the state space grows combinatorially).
"""

from collections import Counter
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

from eth_utils.crypto import keccak

SONGS_PER_PACK = 5
PROBABILITY_PLACES = 12


def _draw_value(word: int, index: int) -> int:
    """uint256(keccak256(abi.encode(word, index))): two 32-byte big-endian words."""
    return int.from_bytes(keccak(word.to_bytes(32, "big") + index.to_bytes(32, "big")), "big")


def draw_songs(*, word: int, song_ids: Sequence[int], weights: Sequence[int]) -> list[int]:
    """The 5 song ids a VRF word draws from the pool, in draw order (the contract's result)."""
    if len(song_ids) != len(weights) or len(song_ids) < SONGS_PER_PACK:
        raise ValueError("a pool holds at least 5 songs, one weight each")
    if any(w <= 0 for w in weights):
        raise ValueError("weights are positive")
    drawn: list[int] = []
    taken = [False] * len(song_ids)
    remaining = sum(weights)
    for i in range(SONGS_PER_PACK):
        x = _draw_value(word, i) % remaining
        for position, weight in enumerate(weights):
            if taken[position]:
                continue
            if x < weight:
                taken[position] = True
                drawn.append(int(song_ids[position]))
                remaining -= weight
                break
            x -= weight
    return drawn


MAX_WEIGHT_CLASSES = 12  # beyond this the exact state space grows too large to serve


@lru_cache(maxsize=256)
def _by_weight(weight_counts: tuple[tuple[int, int], ...]) -> dict[int, Fraction]:
    """P(a song of each weight is in a pack), from the distribution of how many songs of
    each weight class the 5 draws take (forward over draws, exact fractions)."""
    draws = min(SONGS_PER_PACK, sum(count for _, count in weight_counts))
    states: dict[tuple[int, ...], Fraction] = {(0,) * len(weight_counts): Fraction(1)}
    for _ in range(draws):
        following: dict[tuple[int, ...], Fraction] = {}
        for taken, chance in states.items():
            left = [
                (count - t) * weight
                for (weight, count), t in zip(weight_counts, taken, strict=True)
            ]
            total = sum(left)
            for index, mass in enumerate(left):
                if mass == 0:
                    continue
                nxt = (*taken[:index], taken[index] + 1, *taken[index + 1 :])
                following[nxt] = following.get(nxt, Fraction(0)) + chance * Fraction(mass, total)
        states = following
    expected = [Fraction(0)] * len(weight_counts)
    for taken, chance in states.items():
        for index, t in enumerate(taken):
            expected[index] += chance * t
    # Songs of one weight are interchangeable: each has an equal share of its class's draws.
    return {weight: expected[index] / count for index, (weight, count) in enumerate(weight_counts)}


def inclusion_probabilities(weights: Sequence[int]) -> list[Fraction] | None:
    """Exact P(song is in a pack) for each weight of the pool, in the same order; None when
    the pool has more than MAX_WEIGHT_CLASSES distinct weights (not computed)."""
    if not weights:
        return []
    counts = tuple(sorted(Counter(int(w) for w in weights).items()))
    if len(counts) > MAX_WEIGHT_CLASSES:
        return None
    by_weight = _by_weight(counts)
    return [by_weight[int(w)] for w in weights]


def probability_text(value: Fraction) -> str:
    """A probability as a decimal string, rounded half-even to PROBABILITY_PLACES places."""
    with localcontext() as ctx:
        ctx.prec = 50
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return str(exact.quantize(Decimal(1).scaleb(-PROBABILITY_PLACES), ROUND_HALF_EVEN))
