"""Fixtures for the Brownie contract suite (runs on anvil; never collected by the Django tests)."""

import brownie
import pytest
from brownie import (
    BatchFulfiller,
    PackHolder,
    RepeatingCoordinator,
    TrackPacks,
    VRFCoordinatorV2_5Mock,
    accounts,
    web3,
)
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from scripts.draw import draw_songs  # noqa: F401  (re-exported for the tests)

KEY_HASH = "0x816bedba8a50b294e5cbd47842baf240c2385f2eaf719edbd4f250a137a8c899"
BASE_URI = "http://localhost:8000/metadata/{id}.json"
PACK_ID_OFFSET = 2**128
PRICE = 10**16  # 0.01 ether
SUPPLY = 100
BATCH_ID = 7
RETRY_DELAY = 86_400
# song id -> tier (0 common, 1 rare, 2 legendary) and the batch's weight for it
CATALOG = {1: 0, 2: 0, 3: 0, 4: 1, 5: 1, 6: 2}
WEIGHTS = {1: 50, 2: 50, 3: 50, 4: 15, 5: 15, 6: 5}
ROYALTY_BPS = 500
USER = 41  # a platform user id with a custodial address
CUSTODY_DOMAIN = keccak(text="TrackPacks.custodial.v1")


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


def custodial_of(contract, user_id: int) -> str:
    """The Python derivation the backend uses (CONTRACT_V2.md)."""
    raw = keccak(
        encode(["bytes32", "address", "uint256"], [CUSTODY_DOMAIN, str(contract), user_id])
    )
    return to_checksum_address(raw[-20:])


class Reverts:
    """`with reverts("OrderRefAlreadyUsed(bytes32)"):` — asserts a custom error (by selector)
    or a plain reason string."""

    def __init__(self, expected: str):
        self.expected = expected

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        assert exc_type is not None, f"expected revert {self.expected!r}, but the call succeeded"
        if not issubclass(exc_type, brownie.exceptions.VirtualMachineError):
            return False
        text = " ".join(str(x) for x in (exc.revert_msg, getattr(exc, "revert_type", ""), exc))
        wanted = selector(self.expected) if "(" in self.expected else self.expected
        name = self.expected.split("(")[0]
        assert wanted in text or name in text, f"expected {self.expected!r} ({wanted}), got: {text}"
        return True


@pytest.fixture(scope="session")
def reverts():
    return Reverts


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Every test starts from the module's deployment snapshot."""


@pytest.fixture(scope="module")
def admin():
    return accounts[0]


@pytest.fixture(scope="module")
def minter():
    return accounts[1]


@pytest.fixture(scope="module")
def operator():
    return accounts[2]


@pytest.fixture(scope="module")
def buyer():
    return accounts[3]


@pytest.fixture(scope="module")
def deployer():
    """Deploys, owns the VRF consumer until governance accepts, holds no role."""
    return accounts[4]


@pytest.fixture(scope="module")
def stranger():
    return accounts[5]


@pytest.fixture(scope="module")
def treasury():
    return accounts[6]


@pytest.fixture(scope="module")
def royalty_receiver():
    return accounts[7]


@pytest.fixture(scope="module")
def governance():
    return accounts[8]


@pytest.fixture(scope="module")
def coordinator(admin):
    # base fee 0.1 LINK, gas price 1 gwei, 0.004 ETH per LINK (the mock's usual parameters)
    return VRFCoordinatorV2_5Mock.deploy(10**17, 10**9, 4 * 10**15, {"from": admin})


@pytest.fixture(scope="module")
def sub_id(coordinator, admin):
    tx = coordinator.createSubscription({"from": admin})
    sid = tx.events["SubscriptionCreated"]["subId"]
    coordinator.fundSubscription(sid, 10**27, {"from": admin})  # a billion LINK: never runs dry
    return sid


def deploy_trackpacks(coordinator, sub_id, admin, minter, operator, royalty_receiver, deployer):
    return TrackPacks.deploy(
        coordinator,
        KEY_HASH,
        sub_id,
        admin,
        minter,
        operator,
        BASE_URI,
        royalty_receiver,
        ROYALTY_BPS,
        RETRY_DELAY,
        {"from": deployer},
    )


@pytest.fixture(scope="module")
def tp(coordinator, sub_id, admin, minter, operator, royalty_receiver, deployer):
    contract = deploy_trackpacks(
        coordinator, sub_id, admin, minter, operator, royalty_receiver, deployer
    )
    coordinator.addConsumer(sub_id, contract, {"from": admin})
    return contract


def now() -> int:
    return web3.eth.get_block("latest")["timestamp"]


@pytest.fixture(scope="module")
def batch(tp, admin):
    """Registers the demo catalog and creates batch BATCH_ID (crypto sale open, no end)."""
    tp.registerSongs(list(CATALOG), list(CATALOG.values()), {"from": admin})
    tp.createBatch(
        BATCH_ID,
        PRICE,
        SUPPLY,
        now() - 60,
        0,
        list(WEIGHTS),
        list(WEIGHTS.values()),
        {"from": admin},
    )
    return BATCH_ID


@pytest.fixture(scope="module")
def holder_contract(admin):
    return PackHolder.deploy({"from": admin})


@pytest.fixture(scope="module")
def fulfiller(admin):
    return BatchFulfiller.deploy({"from": admin})


@pytest.fixture(scope="module")
def repeating(admin):
    return RepeatingCoordinator.deploy({"from": admin})


_ref_counter = [0]


@pytest.fixture
def new_ref():
    """Fresh, unique references."""

    def make() -> str:
        _ref_counter[0] += 1
        return "0x" + keccak(text=f"order-{_ref_counter[0]}").hex()

    return make


def plain(value):
    """Brownie return values (ReturnValue, Wei, EthAddress, HexString) as plain Python values,
    so they compare with ==."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def request_id_of(tx) -> int:
    return tx.events["PackOpenRequested"]["requestId"]
