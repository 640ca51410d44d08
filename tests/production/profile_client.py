"""A fan driving the production profile over HTTP (requests), with a real wallet on its
anvil and card payments confirmed at its localstripe as Stripe.js would."""

import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg2
import requests
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from web3 import Web3

from core.localprocs import ANVIL_MNEMONIC

PASSWORD = "correct-horse-battery-staple"
BALANCE_OF_ABI = [
    {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "account", "type": "address"}, {"name": "id", "type": "uint256"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]

Account.enable_unaudited_hdwallet_features()


def anvil_account(index: int) -> LocalAccount:
    account: LocalAccount = Account.from_mnemonic(
        ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account


def wait_until(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.3)


class ProfileFan:
    def __init__(self, profile: dict[str, Any], email: str) -> None:
        self.base = profile["base_url"]
        self.profile = profile
        self.http = requests.Session()
        response = self.http.post(
            f"{self.base}/api/v1/auth/register/",
            json={"email": email, "password": PASSWORD},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        self._confirm_email(email)
        self.http.headers["Authorization"] = f"Bearer {response.json()['access']}"
        self.me = self.get("/api/v1/auth/me/")

    def _confirm_email(self, email: str) -> None:
        """Stands in for following the mailed link (card orders need a verified email)."""
        with (
            psycopg2.connect(self.profile["database_url"]) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE accounts_user SET email_verified_at = now() WHERE email = %s", [email]
            )
        connection.close()

    def get(self, path: str) -> Any:
        response = self.http.get(f"{self.base}{path}", timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.http.post(f"{self.base}{path}", json=body or {}, headers=headers, timeout=30)

    # --- wallet ------------------------------------------------------------------------------

    @property
    def w3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.profile["chain_rpc_url"]))

    def link_wallet(self, wallet: LocalAccount) -> None:
        nonce = self.post("/api/v1/auth/wallet/nonce/", {"address": wallet.address})
        assert nonce.status_code == 201, nonce.text
        message = nonce.json()["message"]
        signature = wallet.sign_message(encode_defunct(text=message)).signature.hex()
        signature = signature if signature.startswith("0x") else "0x" + signature
        body = {"message": message, "signature": signature}
        linked = self.post("/api/v1/auth/wallet/link/", body)
        assert linked.status_code == 200, linked.text

    def send(self, wallet: LocalAccount, *, to: str, data: str, value: int = 0) -> str:
        w3 = self.w3
        tx = {
            "from": wallet.address,
            "to": Web3.to_checksum_address(to),
            "data": data,
            "value": value,
            "nonce": w3.eth.get_transaction_count(wallet.address, "pending"),
            "chainId": 31337,
            "gas": 600_000,
            "maxFeePerGas": 2 * w3.eth.gas_price + 10**9,
            "maxPriorityFeePerGas": 10**9,
        }
        tx_hash = w3.eth.send_raw_transaction(wallet.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        assert receipt["status"] == 1
        return "0x" + bytes(tx_hash).hex()

    def pack_balance(self, address: str, pack_token_id: int, contract: str) -> int:
        token = self.w3.eth.contract(address=Web3.to_checksum_address(contract), abi=BALANCE_OF_ABI)
        holder = Web3.to_checksum_address(address)
        return int(token.functions.balanceOf(holder, pack_token_id).call())

    # --- orders and packs --------------------------------------------------------------------

    def order(self, batch: int, quantity: int, method: str) -> dict[str, Any]:
        response = self.post(
            "/api/v1/orders/",
            {"batch": batch, "quantity": quantity, "method": method},
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order

    def pay_by_card(self, order: dict[str, Any]) -> None:
        """What Stripe.js does in the browser: a card payment method, confirmed on the intent."""
        stripe = requests.Session()
        stripe.headers["Authorization"] = f"Bearer {self.profile['stripe_secret_key']}"
        base = self.profile["stripe_api_base"]
        intent = order["payment"]["card"]["payment_intent_id"]
        method = stripe.post(
            f"{base}/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": "2030",
                "card[cvc]": "123",
            },
            timeout=30,
        )
        method.raise_for_status()
        attached = stripe.post(
            f"{base}/v1/payment_intents/{intent}",
            data={"payment_method": method.json()["id"]},
            timeout=30,
        )
        attached.raise_for_status()
        stripe.post(f"{base}/v1/payment_intents/{intent}/confirm", timeout=30).raise_for_status()

    def wait_for_order(self, order_id: int, status: str, timeout: float = 90) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            order: dict[str, Any] = self.get(f"/api/v1/orders/{order_id}/")
            return order if order["status"] == status else None

        result: dict[str, Any] = wait_until(
            reached, timeout=timeout, what=f"order {order_id} {status}"
        )
        return result

    def packs(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.get("/api/v1/packs/?page_size=100")["results"]
        return results

    def open(self, pack_id: int) -> dict[str, Any]:
        response = self.post(f"/api/v1/packs/{pack_id}/open/")
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_opened(self, pack_id: int, timeout: float = 90) -> dict[str, Any]:
        def opened() -> dict[str, Any] | None:
            pack: dict[str, Any] = self.get(f"/api/v1/packs/{pack_id}/")
            return pack if pack["status"] == "opened" else None

        result: dict[str, Any] = wait_until(opened, timeout=timeout, what=f"pack {pack_id} opened")
        return result
