"""Sends a transaction from the demo wallet on the local chain: what a fan's wallet app does
with the `payment.crypto` or `wallet_call` the API returns. Local chain only."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from eth_account import Account
from web3 import Web3

from chain.client import get_web3
from core.management.commands.devstack import demo_wallet


class Command(BaseCommand):
    help = "Signs and sends {to, data, value} from the demo wallet (local chain only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--to", required=True, help="Contract address.")
        parser.add_argument("--data", default="0x", help="Call data (0x hex).")
        parser.add_argument("--value", default="0", help="Value in wei.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.CHAIN_ID != settings.LOCAL_CHAIN_ID:
            raise CommandError("The demo wallet exists only on the local chain (31337).")
        address, key = demo_wallet()
        w3 = get_web3()
        tx = {
            "from": address,
            "to": Web3.to_checksum_address(options["to"]),
            "data": options["data"],
            "value": int(options["value"]),
            "nonce": w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending"),
            "chainId": settings.CHAIN_ID,
        }
        tx["gas"] = w3.eth.estimate_gas(tx)  # type: ignore[arg-type]
        priority_fee = w3.eth.max_priority_fee
        tx["maxPriorityFeePerGas"] = priority_fee
        tx["maxFeePerGas"] = 2 * w3.eth.get_block("latest")["baseFeePerGas"] + priority_fee
        signed = Account.from_key(key).sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        status = "ok" if receipt["status"] == 1 else "REVERTED"
        self.stdout.write(f"{Web3.to_hex(tx_hash)} {status} (block {receipt['blockNumber']})")
