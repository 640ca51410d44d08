"""Custodial wallets: one address per user, derived (BIP-32/44) from a master mnemonic that
lives only in the environment. Keys are derived when needed and never stored; the database
keeps only the public address. Gas for custodial actions is paid by the platform: the
contract's operator opens packs (`openPackFor`) and withdraws songs (`withdrawFor`) for
custodial holders, so custodial keys never have to sign or hold gas."""

from functools import lru_cache

from django.conf import settings
from eth_account import Account
from eth_account.signers.local import LocalAccount

Account.enable_unaudited_hdwallet_features()

# Account level 1 keeps custodial wallets apart from any wallet a person uses (level 0).
_PATH = "m/44'/60'/1'/0/{index}"


def custodial_account(*, index: int) -> LocalAccount:
    if index < 0:
        raise ValueError("custodial wallet index must be >= 0")
    account: LocalAccount = Account.from_mnemonic(
        settings.CUSTODIAL_MNEMONIC, account_path=_PATH.format(index=index)
    )
    return account


@lru_cache(maxsize=4096)
def custodial_address(*, index: int) -> str:
    return str(custodial_account(index=index).address)
