"""The security suite reuses the fuzzer's populated world: a fan with a linked wallet, a crypto
order, custodial packs (one opened), songs in custody and a withdrawal, on the anvil chain."""

from tests.flows.conftest import anvil_account, catalog, fan, register_and_link  # noqa: F401
from tests.fuzz.conftest import World, world  # noqa: F401

__all__ = ["World", "anvil_account", "register_and_link"]
