"""scripts/deploy.py: the chain id table, the refusals, and a full local deployment."""

import pytest
from brownie import TrackPacks, VRFCoordinatorV2_5Mock, accounts
from conftest import plain

from scripts.deploy import CHAINS, DeploymentRefused, chain_spec, deploy


def live_env(**change) -> dict:
    env = {
        "VRF_SUBSCRIPTION_ID": "123",
        "TRACKPACKS_ADMIN": str(accounts[1]),
        "TRACKPACKS_MINTER": str(accounts[2]),
        "TRACKPACKS_OPERATOR": str(accounts[3]),
        "TRACKPACKS_GOVERNANCE": str(accounts[4]),
    }
    env.update({k: (v if isinstance(v, str) else str(accounts[v])) for k, v in change.items()})
    return env


def test_chain_table():
    assert set(CHAINS) == {31337, 80002, 137}
    assert CHAINS[31337].uses_mock
    for cid in (80002, 137):
        spec = CHAINS[cid]
        assert not spec.uses_mock
        assert spec.coordinator
        assert spec.link
        assert len(spec.key_hash) == 66
    assert CHAINS[137].coordinator == "0xec0Ed46f36576541C75739E915ADbCb3DE24bD77"
    assert CHAINS[80002].coordinator == "0x343300b5d84D444B2ADc9116FEF1bED02BE49Cf2"


@pytest.mark.parametrize("chain_id", [1, 56, 1337, 11155111, 80001])
def test_unknown_chains_are_refused(chain_id):
    with pytest.raises(DeploymentRefused, match="not supported"):
        chain_spec(chain_id)
    mocks = len(VRFCoordinatorV2_5Mock)
    with pytest.raises(DeploymentRefused):
        deploy(chain_id, accounts[0], live_env())
    assert len(VRFCoordinatorV2_5Mock) == mocks


def test_mock_is_never_deployed_on_polygon():
    """Run against this local node as if it were 137: the script insists on the real
    coordinator (which has no code here) and deploys nothing, least of all the mock."""
    mocks, tps = len(VRFCoordinatorV2_5Mock), len(TrackPacks)
    with pytest.raises(DeploymentRefused, match="no contract at the Polygon mainnet VRF"):
        deploy(137, accounts[0], live_env())
    assert (len(VRFCoordinatorV2_5Mock), len(TrackPacks)) == (mocks, tps)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TRACKPACKS_ADMIN": ""}, "TRACKPACKS_ADMIN must be set"),
        ({"TRACKPACKS_GOVERNANCE": ""}, "TRACKPACKS_GOVERNANCE must be set"),
        ({"TRACKPACKS_MINTER": 3}, "three different addresses"),
        ({"TRACKPACKS_OPERATOR": 0}, "must not hold a role"),
        ({"TRACKPACKS_ADMIN": "0x" + "00" * 20}, "non-zero address"),
        ({"VRF_SUBSCRIPTION_ID": ""}, "VRF_SUBSCRIPTION_ID must be set"),
        ({"DEMO_CATALOG": "1"}, "local chain only"),
        ({"TRACKPACKS_OPEN_RETRY_DELAY": "3600"}, "RETRY_DELAY"),
        ({"TRACKPACKS_ROYALTY_BPS": "2500"}, "ROYALTY_BPS"),
    ],
)
def test_live_configuration_is_checked(change, message):
    env = live_env(**change)
    with pytest.raises(DeploymentRefused, match=message):
        deploy(80002, accounts[0], env)


def test_local_deployment(reverts):
    env = {"DEMO_CATALOG": "1", "TRACKPACKS_GOVERNANCE": str(accounts[8])}
    record = deploy(31337, accounts[0], env)
    tp = TrackPacks.at(record["trackPacks"])
    assert record["vrfCoordinatorIsMock"]
    assert record["consumerAdded"]
    assert (record["admin"], record["minter"], record["operator"]) == tuple(
        str(a) for a in accounts[1:4]
    )
    admin_role = "0x" + "00" * 32
    assert tp.hasRole(admin_role, accounts[1])
    assert not tp.hasRole(admin_role, accounts[0])
    assert tp.owner() == accounts[8]
    assert not record["vrfOwnershipPending"]
    assert record["openRetryDelay"] == 86_400 == tp.OPEN_RETRY_DELAY()
    assert plain(tp.batchPool(1))[0] == [1, 2, 3, 4, 5, 6]
    assert tp.saleOpen(1)
