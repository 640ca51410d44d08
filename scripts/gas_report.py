"""Gas table for TrackPacks v2 (Brownie script; `make gas`).

Deploys fresh contracts on the Brownie-launched test anvil and measures, for first-time holders
(the expensive case: every balance slot is new):

* transaction gas (receipt gasUsed, after refunds) of buyPacks, mintPacks, openPack, openPackFor,
  retryOpen and withdrawFor;
* openPack's own share: the tx minus the gasUsed of the coordinator's `requestRandomWords` call
  frame, against Chainlink's `VRFCoordinatorV2_5Mock` and against the production
  `VRFCoordinatorV2_5` (compiled from @chainlink/contracts 1.2.0; used here only to measure);
* the VRF callback's own gas: gasUsed of the coordinator -> TrackPacks `rawFulfillRandomWords`
  call frame (anvil `debug_traceTransaction`, callTracer), which is what counts against
  `callbackGasLimit`. The worst case is a 64-song pool (MAX_POOL_SIZE) and a fresh holder, so
  all 5 distinct songs are new balance slots; the table reports the maximum over WORDS words.

`measure()` is shared with tests/contracts/test_gas.py, which asserts the budgets.
Prints the table and writes it into docs/GAS.md between the gas-table markers (GAS_MD=- skips).
"""

import json
import os
import subprocess
from pathlib import Path

from brownie import Contract, TrackPacks, VRFCoordinatorV2_5Mock, accounts, web3
from eth_utils import keccak

from scripts.draw import draw_songs

KEY_HASH = "0x816bedba8a50b294e5cbd47842baf240c2385f2eaf719edbd4f250a137a8c899"
BASE_URI = "http://localhost:8000/metadata/{id}.json"
PRICE = 10**16
RETRY_DELAY = 86_400
WORDS = 12  # 64-song-pool callbacks measured (one fresh holder each)
BUDGETS = {"buyPacks(1)": 65_000, "openPack (own share)": 62_000, "callback": 165_000}
REQUEST_SIG = "requestRandomWords((bytes32,uint256,uint16,uint32,uint32,bytes))"
CALLBACK_SIG = "rawFulfillRandomWords(uint256,uint256[])"


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


def _ref(label: str) -> str:
    return "0x" + keccak(text=f"gas-{label}").hex()


def _fresh(label: str, funder):
    account = accounts.add(keccak(text=f"trackpacks-gas-{label}"))
    funder.transfer(account, 10**18)
    return account


def deploy(coordinator, sub_id, admin, minter, operator):
    return TrackPacks.deploy(
        coordinator,
        KEY_HASH,
        sub_id,
        admin,
        minter,
        operator,
        BASE_URI,
        admin,
        500,
        RETRY_DELAY,
        {"from": accounts[9]},
    )


REAL_COORDINATOR_ARTIFACT = Path("build/vrf/VRFCoordinatorV2_5.json")


def real_coordinator(owner):
    """Chainlink's production VRFCoordinatorV2_5 with a plausible config and a subscription.
    Compiled by tools/compile-vrf-coordinator.js (its sources pin solc 0.8.19, which Brownie
    cannot take), deployed with plain web3."""
    if not REAL_COORDINATOR_ARTIFACT.exists():
        # fixed arguments; `node` from PATH as everywhere in contracts.mk
        subprocess.run(  # noqa: S603
            ["node", "tools/compile-vrf-coordinator.js", str(REAL_COORDINATOR_ARTIFACT)],  # noqa: S607
            check=True,
        )
    artifact = json.loads(REAL_COORDINATOR_ARTIFACT.read_text())
    factory = web3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    txid = factory.constructor(owner.address).transact({"from": owner.address})
    address = web3.eth.wait_for_transaction_receipt(txid)["contractAddress"]
    coordinator = Contract.from_abi("VRFCoordinatorV2_5", address, artifact["abi"])
    coordinator.setConfig(3, 2_500_000, 2_700, 90_000, 4 * 10**15, 0, 0, 50, 50, {"from": owner})
    sub = coordinator.createSubscription({"from": owner}).events["SubscriptionCreated"]["subId"]
    return coordinator, sub


def worst_words(songs, weights, count: int) -> list[int]:
    """Words whose 5 songs lie in 5 different groups of 8 (so 5 different group words and 5
    different song words are read cold: the most storage a callback can touch), preferring
    the latest pool positions (the longest scans)."""
    scored = []
    for n in range(4000):
        word = int.from_bytes(keccak(text=f"word-{n}"), "big")
        positions = [songs.index(s) for s in draw_songs(word, songs, weights)]
        if len({p // 8 for p in positions}) == 5:
            scored.append((sum(p % 8 for p in positions) + sum(positions), word))
    scored.sort(reverse=True)
    return [word for _, word in scored[:count]]


def measure() -> dict:
    """Deploys fresh contracts and returns {label: gas}. Needs >= 10 unlocked accounts."""
    admin, minter, operator = accounts[0], accounts[1], accounts[2]
    mock = VRFCoordinatorV2_5Mock.deploy(10**17, 10**9, 4 * 10**15, {"from": admin})
    sub = mock.createSubscription({"from": admin}).events["SubscriptionCreated"]["subId"]
    mock.fundSubscription(sub, 10**27, {"from": admin})
    tp = deploy(mock, sub, admin, minter, operator)
    mock.addConsumer(sub, tp, {"from": admin})

    small_songs, small_weights = [1, 2, 3, 4, 5], [60, 60, 25, 12, 3]
    big_songs = list(range(1000, 1064))
    big_weights = [1 + (i * 7919) % 60 for i in range(64)]
    tp.registerSongs(small_songs + big_songs, [0] * 69, {"from": admin})
    now = web3.eth.get_block("latest")["timestamp"]
    tp.createBatch(1, PRICE, 10_000, now - 10, 0, small_songs, small_weights, {"from": admin})
    tp.createBatch(2, PRICE, 10_000, now - 10, 0, big_songs, big_weights, {"from": admin})

    gas = {}
    buyer1, buyer10, wallet = (_fresh(x, admin) for x in ("buyer1", "buyer10", "wallet"))
    gas["buyPacks(1)"] = tp.buyPacks(1, 1, _ref(1), {"from": buyer1, "value": PRICE}).gas_used
    gas["buyPacks(10)"] = tp.buyPacks(
        1, 10, _ref(2), {"from": buyer10, "value": 10 * PRICE}
    ).gas_used
    gas["mintPacks(1)"] = tp.mintPacks(101, 1, 1, _ref(3), {"from": minter}).gas_used

    tx = tp.openPack(1, {"from": buyer1})
    gas["openPack (mock)"] = tx.gas_used
    gas["requestRandomWords (mock)"] = frame_gas(tx.txid, mock.address, REQUEST_SIG)
    gas["openPack (own share)"] = gas["openPack (mock)"] - gas["requestRandomWords (mock)"]
    rid = tx.events["PackOpenRequested"]["requestId"]
    tx = mock.fulfillRandomWordsWithOverride(rid, tp, [1], {"from": admin})
    assert tx.events["RandomWordsFulfilled"]["success"], "callback failed"
    gas["callback (5-song pool)"] = frame_gas(tx.txid, tp.address, CALLBACK_SIG)

    # Worst case: 64-song pool, fresh holders (5 new balance slots), max over WORDS words.
    worst = 0
    for i, word in enumerate(worst_words(big_songs, big_weights, WORDS)):
        holder = _fresh(f"holder64-{i}", admin)
        tp.buyPacks(2, 1, _ref(f"64-{i}"), {"from": holder, "value": PRICE})
        rid = tp.openPack(2, {"from": holder}).events["PackOpenRequested"]["requestId"]
        tx = mock.fulfillRandomWordsWithOverride(rid, tp, [word], {"from": admin})
        assert tx.events["RandomWordsFulfilled"]["success"], "callback failed"
        worst = max(worst, frame_gas(tx.txid, tp.address, CALLBACK_SIG))
    gas["callback (64-song pool)"] = worst
    gas["callback"] = max(gas["callback (5-song pool)"], worst)

    tp.mintPacks(102, 1, 2, _ref(5), {"from": minter})
    tx = tp.openPackFor(102, 1, _ref("op-1"), {"from": operator})
    gas["openPackFor (mock)"] = tx.gas_used
    stuck = tx.events["PackOpenRequested"]["requestId"]
    web3.provider.make_request("evm_increaseTime", [RETRY_DELAY])
    gas["retryOpen (mock)"] = tp.retryOpen(stuck, {"from": operator}).gas_used
    rid = tp.openPackFor(102, 1, _ref("op-2"), {"from": operator}).events["PackOpenRequested"][
        "requestId"
    ]
    song = mock.fulfillRandomWords(rid, tp, {"from": admin}).events["PackOpened"]["songIds"][0]
    gas["withdrawFor"] = tp.withdrawFor(
        102, wallet, song, 1, _ref("op-3"), {"from": operator}
    ).gas_used

    # The same openPack against Chainlink's production coordinator.
    real, real_sub = real_coordinator(admin)
    tp_real = deploy(real, real_sub, admin, minter, operator)
    real.addConsumer(real_sub, tp_real, {"from": admin})
    tp_real.registerSongs(small_songs, [0] * 5, {"from": admin})
    tp_real.createBatch(1, PRICE, 100, now - 10, 0, small_songs, small_weights, {"from": admin})
    buyer_real = _fresh("buyer-real", admin)
    tp_real.buyPacks(1, 2, _ref("real"), {"from": buyer_real, "value": 2 * PRICE})
    # The first request of a consumer also creates the coordinator's nonce slot: measure the
    # second, the steady state (the first is reported too).
    tx = tp_real.openPack(1, {"from": buyer_real})
    gas["openPack (real, first request)"] = tx.gas_used
    tx = tp_real.openPack(1, {"from": buyer_real})
    gas["openPack (real)"] = tx.gas_used
    gas["requestRandomWords (real)"] = frame_gas(tx.txid, real.address, REQUEST_SIG)
    gas["openPack (own share, real)"] = gas["openPack (real)"] - gas["requestRandomWords (real)"]
    return gas


ROWS = [
    ("buyPacks(1)", "buyPacks, 1 pack, first-time buyer", "≤ 65,000"),
    ("buyPacks(10)", "buyPacks, 10 packs, first-time buyer", ""),
    ("mintPacks(1)", "mintPacks, 1 pack, new custodial address", ""),
    ("openPack (mock)", "openPack, whole tx, VRFCoordinatorV2_5Mock", ""),
    ("requestRandomWords (mock)", "… of which the mock's requestRandomWords", ""),
    ("openPack (own share)", "… TrackPacks' own share (tx minus coordinator frame)", "≤ 62,000"),
    ("openPack (real)", "openPack, whole tx, production VRFCoordinatorV2_5", ""),
    ("requestRandomWords (real)", "… of which VRFCoordinatorV2_5.requestRandomWords", ""),
    ("openPack (own share, real)", "… TrackPacks' own share", "≤ 62,000"),
    ("openPack (real, first request)", "openPack, the consumer's first request (real)", ""),
    ("openPackFor (mock)", "openPackFor (operator, custodial holder), whole tx, mock", ""),
    ("retryOpen (mock)", "retryOpen after the delay (operator), whole tx, mock", ""),
    ("callback", "VRF callback, 5 distinct new songs, worst measured", "≤ 165,000"),
    ("callback (5-song pool)", "… 5-song pool", ""),
    ("callback (64-song pool)", f"… 64-song pool, max over {WORDS} worst-case words", ""),
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
