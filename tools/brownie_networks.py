"""Upsert the Brownie networks this project uses into ~/.brownie/network-config.yaml.

Brownie keeps its network list in the user's data folder, not in the project, and this
Brownie build cannot take `cmd_settings` from brownie-config.yaml. So `make` runs this
script (idempotently) before every Brownie command:

* ``trackpacks-test`` — an anvil that Brownie launches itself for the test suite and the gas
  table, on port 8546 so it never collides with the app's chain on 8545.
* ``local-anvil``     — the already running anvil of ``make run`` (``CHAIN_RPC_URL``).
* ``amoy``            — Polygon Amoy (chain id 80002); RPC URL from ``$AMOY_RPC_URL``.
* ``polygon-mainnet``  — Polygon PoS mainnet (chain id 137); RPC URL from ``$POLYGON_RPC_URL``.

Run with the Brownie virtualenv's Python: ``.venv-brownie/bin/python tools/brownie_networks.py``.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from brownie._config import _get_data_folder  # also creates the data folder on first use


def upsert(entries: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    for i, existing in enumerate(entries):
        if existing.get("id") == entry["id"]:
            entries[i] = entry
            return
    entries.append(entry)


def main() -> None:
    path = Path(_get_data_folder()) / "network-config.yaml"
    config = yaml.safe_load(path.read_text()) or {}
    development = config.setdefault("development", [])
    live = config.setdefault("live", [])

    upsert(
        development,
        {
            "name": "TrackPacks test anvil",
            "id": "trackpacks-test",
            "cmd": "anvil",
            "host": "http://127.0.0.1",
            "cmd_settings": {
                "port": int(os.environ.get("BROWNIE_TEST_PORT", "8546")),
                "accounts": 10,
                "chain_id": 31337,
                "gas_limit": 30_000_000,
                "evm_version": "cancun",
                "base_fee": 0,
            },
        },
    )

    rpc = urlsplit(os.environ.get("CHAIN_RPC_URL", "http://127.0.0.1:8545"))
    upsert(
        development,
        {
            "name": "Running local anvil",
            "id": "local-anvil",
            "cmd": "anvil",
            "host": f"{rpc.scheme}://{rpc.hostname}",
            "cmd_settings": {"port": rpc.port or 8545, "chain_id": 31337, "evm_version": "cancun"},
        },
    )

    group = next((g for g in live if g.get("name") == "Polygon"), None)
    if group is None:
        group = {"name": "Polygon", "networks": []}
        live.append(group)
    upsert(
        group.setdefault("networks", []),
        {
            "name": "Amoy (Polygon testnet)",
            "id": "amoy",
            "chainid": 80002,
            "host": "$AMOY_RPC_URL",
            "explorer": "https://api-amoy.polygonscan.com/api",
        },
    )
    upsert(
        group["networks"],
        {
            "name": "Polygon mainnet",
            "id": "polygon-mainnet",
            "chainid": 137,
            "host": "$POLYGON_RPC_URL",
            "explorer": "https://api.polygonscan.com/api",
        },
    )

    path.write_text(yaml.safe_dump(config, sort_keys=False))


if __name__ == "__main__":
    main()
