"""Pytest plugin: a real local chain (anvil) with the contracts deployed. Filled in by chain/."""
