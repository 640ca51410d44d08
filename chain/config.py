"""Chain settings and signer keys.

Keys live only in memory, wrapped in `SecretKey` so that `repr`/`str` never show them; they are
never logged, stored or returned."""

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from eth_account import Account
from eth_account.signers.local import LocalAccount

LOCAL_CHAIN_ID = 31337

# anvil's well-known development accounts (mnemonic "test test ... junk"); local chain only.
ANVIL_DEV_KEYS = {
    0: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    1: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    2: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    3: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    8: "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    9: "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
}


class SenderRole(StrEnum):
    ADMIN = "admin"
    MINTER = "minter"
    OPERATOR = "operator"
    FULFILLER = "fulfiller"
    # Local deployment only (chain.deploy): pays for the deployment and keeps no role.
    DEPLOYER = "deployer"
    # Accepts the VRF coordinator ownership (two-step) on local deployments.
    GOVERNANCE = "governance"


_ROLE_SETTING = {
    SenderRole.ADMIN: ("CHAIN_ADMIN_KEY", 0),
    SenderRole.MINTER: ("CHAIN_MINTER_KEY", 1),
    SenderRole.OPERATOR: ("CHAIN_OPERATOR_KEY", 2),
    SenderRole.FULFILLER: ("CHAIN_FULFILLER_KEY", 9),
    SenderRole.DEPLOYER: ("CHAIN_DEPLOYER_KEY", 8),
    SenderRole.GOVERNANCE: ("CHAIN_GOVERNANCE_KEY", 3),
}


class SecretKey:
    """A private key that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretKey('********')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("SecretKey cannot be pickled")


@dataclass(frozen=True)
class ChainSettings:
    rpc_url: str
    chain_id: int
    confirmations: int
    deployment_record: Path
    rpc_timeout: int

    @property
    def is_local(self) -> bool:
        return self.chain_id == LOCAL_CHAIN_ID


def chain_settings() -> ChainSettings:
    return ChainSettings(
        rpc_url=settings.CHAIN_RPC_URL,
        chain_id=settings.CHAIN_ID,
        confirmations=max(1, settings.CHAIN_CONFIRMATIONS),
        deployment_record=Path(settings.CHAIN_DEPLOYMENT_RECORD),
        rpc_timeout=settings.CHAIN_RPC_TIMEOUT_SECONDS,
    )


def signer_key(role: SenderRole | str) -> SecretKey:
    role = SenderRole(role)
    setting_name, dev_index = _ROLE_SETTING[role]
    raw = getattr(settings, setting_name, "") or ""
    if not raw:
        if settings.CHAIN_ID != LOCAL_CHAIN_ID:
            raise ImproperlyConfigured(f"{setting_name} is required on chain {settings.CHAIN_ID}.")
        raw = ANVIL_DEV_KEYS[dev_index]
    return SecretKey(raw)


def signer_account(role: SenderRole | str) -> LocalAccount:
    account: LocalAccount = Account.from_key(signer_key(role).reveal())
    return account


def signer_address(role: SenderRole | str) -> str:
    return str(signer_account(role).address)
