"""Python mirror of TrackPacks' draw (the specification in CONTRACT_V2.md, written as the plain
linear walk) and the exact probabilities of the without-replacement draw.

Pure Python (eth-utils' keccak only), imported by the Brownie tests and the gas report.
"""

from fractions import Fraction
from itertools import permutations

from eth_utils import keccak

SONGS_PER_PACK = 5


def draw_songs(word: int, song_ids, weights) -> list[int]:
    """5 distinct songs: for i in 0..4, x = keccak256(abi.encode(word, i)) % remaining; walk the
    pool in order skipping songs already drawn, subtracting each weight from x until x < weight."""
    remaining = sum(weights)
    drawn: list[int] = []
    taken: set[int] = set()
    for i in range(SONGS_PER_PACK):
        x = int.from_bytes(keccak(word.to_bytes(32, "big") + i.to_bytes(32, "big")), "big")
        x %= remaining
        for index, (song, weight) in enumerate(zip(song_ids, weights, strict=True)):
            if index in taken:
                continue
            if x < weight:
                drawn.append(song)
                taken.add(index)
                remaining -= weight
                break
            x -= weight
    return drawn


def sequence_probabilities(weights) -> dict[tuple[int, ...], Fraction]:
    """Exact probability of every ordered draw (tuple of pool indexes) of 5 distinct songs,
    each drawn with probability weight / (weight left) — by enumeration (small pools only)."""
    total = sum(weights)
    out: dict[tuple[int, ...], Fraction] = {}
    for seq in permutations(range(len(weights)), SONGS_PER_PACK):
        p = Fraction(1)
        left = total
        for index in seq:
            p *= Fraction(weights[index], left)
            left -= weights[index]
        out[seq] = p
    return out


def set_probabilities(weights) -> dict[frozenset[int], Fraction]:
    """Exact probability of each unordered pack content (set of pool indexes)."""
    out: dict[frozenset[int], Fraction] = {}
    for seq, p in sequence_probabilities(weights).items():
        key = frozenset(seq)
        out[key] = out.get(key, Fraction(0)) + p
    return out


def inclusion_probabilities(weights) -> list[Fraction]:
    """Exact probability that each pool entry is among the 5 songs of a pack."""
    incl = [Fraction(0)] * len(weights)
    for members, p in set_probabilities(weights).items():
        for index in members:
            incl[index] += p
    return incl
