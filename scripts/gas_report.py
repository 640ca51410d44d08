"""Gas table for TrackPacks (Brownie script; `make gas`).

Deploys a fresh VRFCoordinatorV2_5Mock + TrackPacks on the Brownie-launched test anvil and
measures, for first-time holders (the expensive case: every balance slot is new):

* transaction gas (receipt gasUsed, after refunds) of buyPacks(1), buyPacks(10), mintPacks(1),
  openPack and withdrawFor;
* for openPack, the part spent inside the coordinator's requestRandomWords call;
* the VRF callback's own gas: the gasUsed of the coordinator -> TrackPacks
  `rawFulfillRandomWords` call frame, read with anvil's `debug_traceTransaction` callTracer.
  This is exactly what counts against `callbackGasLimit`. The mock's RandomWordsFulfilled
  `payment` is not used because it also charges the mock's own bookkeeping around the call.

`measure()` is shared with tests/contracts/test_gas.py, which asserts the budgets.
Prints the table and writes it to docs/GAS.md (set GAS_MD=- to skip writing).
"""

import os
from pathlib import Path

from brownie import TrackPacks, VRFCoordinatorV2_5Mock, accounts, web3
from eth_utils import keccak

KEY_HASH = "0x816bedba8a50b294e5cbd47842baf240c2385f2eaf719edbd4f250a137a8c899"
PRICE = 10**16
BUDGETS = {"buyPacks(1)": 90_000, "openPack (own share)": 75_000, "callback": 200_000}


def draw_songs(word: int, song_ids, weights) -> list:
    """Python mirror of TrackPacks' draw: r_i = keccak256(abi.encode(word, i)) mod total weight;
    the song is the first pool entry whose running weight sum exceeds r_i."""
    total = sum(weights)
    out = []
    for i in range(5):
        r = int.from_bytes(keccak(word.to_bytes(32, "big") + i.to_bytes(32, "big")), "big") % total
        running = 0
        for song, w in zip(song_ids, weights, strict=False):
            running += w
            if running > r:
                out.append(song)
                break
    return out


def frame_gas(txid: str, to: str, signature: str) -> int:
    """gasUsed of the first call frame to `to` whose calldata starts with `signature`'s selector."""
    trace = web3.provider.make_request("debug_traceTransaction", [txid, {"tracer": "callTracer"}])[
        "result"
    ]
    sel = "0x" + keccak(text=signature)[:4].hex()
    stack = [trace]
    while stack:
        frame = stack.pop()
        if (frame.get("to") or "").lower() == to.lower() and frame.get("input", "").startswith(sel):
            return int(frame["gasUsed"], 16)
        stack.extend(reversed(frame.get("calls", [])))
    raise LookupError(f"no {signature} call to {to} in {txid}")


def _distinct_word(songs, weights) -> int:
    word = 1
    while len(set(draw_songs(word, songs, weights))) < 5:
        word += 1
    return word


def measure() -> dict:
    """Deploys fresh contracts and returns {label: gas}. Needs >= 10 unlocked accounts."""
    admin, minter, operator = accounts[0], accounts[1], accounts[2]
    mock = VRFCoordinatorV2_5Mock.deploy(10**17, 10**9, 4 * 10**15, {"from": admin})
    sub = mock.createSubscription({"from": admin}).events["SubscriptionCreated"]["subId"]
    mock.fundSubscription(sub, 10**27, {"from": admin})
    tp = TrackPacks.deploy(
        mock,
        KEY_HASH,
        sub,
        admin,
        "http://localhost:8000/metadata/{id}.json",
        admin,
        500,
        {"from": admin},
    )
    mock.addConsumer(sub, tp, {"from": admin})
    tp.grantRole(tp.MINTER_ROLE(), minter, {"from": admin})
    tp.grantRole(tp.OPERATOR_ROLE(), operator, {"from": admin})

    small_songs, small_weights = [1, 2, 3, 4, 5, 6], [60, 60, 60, 25, 25, 5]
    big_songs, big_weights = list(range(1000, 1064)), [1 + (i % 7) for i in range(64)]
    tp.registerSongs(small_songs + big_songs, [0] * 70, {"from": admin})
    tp.createBatch(1, PRICE, 10_000, True, small_songs, small_weights, {"from": admin})
    tp.createBatch(2, PRICE, 10_000, True, big_songs, big_weights, {"from": admin})

    # Fresh addresses, so every first-time balance/flag write is paid in full.
    fresh = [accounts.add(keccak(text=f"trackpacks-gas-{i}")) for i in range(6)]
    for account in fresh:
        admin.transfer(account, 10**18)
    buyer1, buyer10, custodial, holder64, wallet, custodial2 = fresh

    def ref(n: int) -> str:
        return "0x" + keccak(text=f"gas-{n}").hex()

    gas = {}
    gas["buyPacks(1)"] = tp.buyPacks(1, 1, ref(1), {"from": buyer1, "value": PRICE}).gas_used
    gas["buyPacks(10)"] = tp.buyPacks(
        1, 10, ref(2), {"from": buyer10, "value": 10 * PRICE}
    ).gas_used
    gas["mintPacks(1)"] = tp.mintPacks(custodial, 1, 1, ref(3), {"from": minter}).gas_used

    tx = tp.openPack(1, {"from": buyer1})
    gas["openPack"] = tx.gas_used
    gas["openPack: coordinator requestRandomWords (mock)"] = frame_gas(
        tx.txid, mock.address, "requestRandomWords((bytes32,uint256,uint16,uint32,uint32,bytes))"
    )
    gas["openPack (own share)"] = (
        gas["openPack"] - gas["openPack: coordinator requestRandomWords (mock)"]
    )
    rid = tx.events["PackOpenRequested"]["requestId"]
    word = _distinct_word(small_songs, small_weights)
    tx = mock.fulfillRandomWordsWithOverride(rid, tp, [word], {"from": admin})
    assert tx.events["RandomWordsFulfilled"]["success"], "callback failed"
    gas["callback (6-song pool)"] = frame_gas(
        tx.txid, tp.address, "rawFulfillRandomWords(uint256,uint256[])"
    )
    gas["fulfilment tx (mock + callback)"] = tx.gas_used

    # Worst case: 64-song pool (8 packed weight words, deepest search), 5 distinct new songs.
    tp.buyPacks(2, 1, ref(4), {"from": holder64, "value": PRICE})
    rid = tp.openPack(2, {"from": holder64}).events["PackOpenRequested"]["requestId"]
    word = _distinct_word(big_songs, big_weights)
    tx = mock.fulfillRandomWordsWithOverride(rid, tp, [word], {"from": admin})
    gas["callback (64-song pool)"] = frame_gas(
        tx.txid, tp.address, "rawFulfillRandomWords(uint256,uint256[])"
    )
    gas["callback"] = max(gas["callback (6-song pool)"], gas["callback (64-song pool)"])

    tp.mintPacks(custodial2, 1, 1, ref(5), {"from": minter})
    rid = tp.openPackFor(custodial2, 1, {"from": operator}).events["PackOpenRequested"]["requestId"]
    tx = mock.fulfillRandomWords(rid, tp, {"from": admin})
    song = tx.events["PackOpened"]["songIds"][0]
    gas["withdrawFor"] = tp.withdrawFor(custodial2, wallet, song, 1, {"from": operator}).gas_used
    tp.mintPacks(custodial2, 1, 1, ref(6), {"from": minter})
    gas["openPackFor"] = tp.openPackFor(custodial2, 1, {"from": operator}).gas_used
    return gas


ROWS = [
    ("buyPacks(1)", "buyPacks, 1 pack, first-time buyer", "≤ 90,000"),
    ("buyPacks(10)", "buyPacks, 10 packs, first-time buyer", ""),
    ("mintPacks(1)", "mintPacks, 1 pack, new custodial wallet (sets the custodial flag)", ""),
    ("openPack", "openPack, whole tx incl. the mock coordinator's request", "see note"),
    (
        "openPack: coordinator requestRandomWords (mock)",
        "… of which VRFCoordinatorV2_5Mock.requestRandomWords",
        "",
    ),
    ("openPack (own share)", "… of which TrackPacks (tx minus coordinator frame)", "≤ 75,000"),
    ("openPackFor", "openPackFor (operator, custodial holder), whole tx", ""),
    ("callback", "VRF callback, 5 distinct new songs, worst of 6- and 64-song pools", "≤ 200,000"),
    ("callback (6-song pool)", "… 6-song pool", ""),
    ("callback (64-song pool)", "… 64-song pool (MAX_POOL_SIZE)", ""),
    ("fulfilment tx (mock + callback)", "mock fulfillRandomWordsWithOverride tx, 6-song pool", ""),
    ("withdrawFor", "withdrawFor, 1 song to a fresh wallet (EOA)", ""),
]


def table(gas: dict) -> str:
    lines = ["| operation | gas | budget |", "|---|---:|---|"]
    for key, label, budget in ROWS:
        lines.append(f"| {label} | {gas[key]:,} | {budget} |")
    return "\n".join(lines)


def main() -> None:
    gas = measure()
    text = table(gas)
    print(text)
    target = os.environ.get("GAS_MD", "docs/GAS.md")
    if target != "-":
        path = Path(target)
        doc = path.read_text() if path.exists() else ""
        start, end = "<!-- gas-table:start -->", "<!-- gas-table:end -->"
        if start in doc and end in doc:
            doc = doc[: doc.index(start) + len(start)] + "\n" + text + "\n" + doc[doc.index(end) :]
        else:
            doc = f"# Gas\n\n{start}\n{text}\n{end}\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc)
        print(f"table written to {path}")
