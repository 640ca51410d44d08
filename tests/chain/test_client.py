import pickle
from typing import Any

import pytest

from chain.client import COORDINATOR_MOCK, parse_deployment
from chain.config import SecretKey, signer_key

ADDR = "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9"


def test_reads_the_brownie_deploy_record() -> None:
    record = {
        "chainId": 31337,
        "trackPacks": ADDR,
        "vrfCoordinator": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
        "vrfCoordinatorIsMock": True,
        "deployBlock": 7,
        "keyHash": "0x" + "11" * 32,
        "subscriptionId": "123",
    }
    deployment = parse_deployment(record)
    assert deployment.trackpacks.address == "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
    assert deployment.trackpacks.block == 7
    assert deployment.contracts[COORDINATOR_MOCK].block == 7
    assert deployment.subscription_id == 123
    assert parse_deployment({**record, "vrfCoordinatorIsMock": False}).coordinator_mock is None


def test_reads_its_own_record_format() -> None:
    deployment = parse_deployment(
        {
            "chain_id": 31337,
            "contracts": {"TrackPacks": {"address": ADDR, "block": 4}},
            "key_hash": "0x00",
            "subscription_id": "5",
        }
    )
    assert deployment.trackpacks.block == 4
    assert deployment.coordinator_mock is None


def test_keys_never_print_themselves() -> None:
    key = signer_key("admin")
    assert isinstance(key, SecretKey)
    assert key.reveal().startswith("0x")
    assert key.reveal() not in repr(key)
    assert key.reveal() not in f"{key}"
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_keys_are_required_off_the_local_chain(settings: object) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.CHAIN_ID = 80002  # type: ignore[attr-defined]
    settings.CHAIN_MINTER_KEY = ""  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="CHAIN_MINTER_KEY"):
        signer_key("minter")


def test_deploy_command_refuses_other_chains(settings: object) -> None:
    from django.core.management import CommandError, call_command

    settings.CHAIN_ID = 80002  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="31337"):
        call_command("chain_deploy_local")


@pytest.mark.chain
def test_deploy_command_keeps_a_live_deployment(chain: dict[str, object]) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("chain_deploy_local", stdout=out)
    assert chain["deployment"].trackpacks.address in out.getvalue()  # type: ignore[attr-defined]


def test_a_rewritten_record_is_read_again(tmp_path: Any) -> None:
    import json
    import os

    from chain.client import read_deployment

    path = tmp_path / "31337.json"
    record = {"chain_id": 31337, "contracts": {"TrackPacks": {"address": ADDR, "block": 4}}}
    path.write_text(json.dumps(record))
    assert read_deployment(path).trackpacks.block == 4  # type: ignore[union-attr]
    assert read_deployment(path) is read_deployment(path)  # parsed once per version

    record["contracts"]["TrackPacks"]["block"] = 9
    path.write_text(json.dumps(record))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))  # a new version, surely
    assert read_deployment(path).trackpacks.block == 9  # type: ignore[union-attr]
    path.unlink()
    assert read_deployment(path) is None
