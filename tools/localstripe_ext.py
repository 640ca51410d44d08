"""localstripe plus the one Stripe endpoint it lacks that this API uses: customer ephemeral
keys (`POST /v1/ephemeral_keys`, for the mobile PaymentSheet). The answer has the shape of
Stripe's documented EphemeralKey object; the key is checked against localstripe's customers.

Run as localstripe itself: `python tools/localstripe_ext.py --port 8420 [--from-scratch]`.
Development and tests only: real Stripe serves this endpoint itself."""

import secrets
import time
from typing import Any


def install() -> None:
    from aiohttp import web
    from localstripe.resources import Customer
    from localstripe.server import app, get_post_data

    async def ephemeral_key_create(request: Any) -> Any:
        if not request.headers.get("Stripe-Version"):
            return web.json_response(
                {"error": {"message": "Ephemeral keys need a Stripe-Version header."}}, status=400
            )
        data = await get_post_data(request) or {}
        customer = str(data.get("customer", ""))
        Customer._api_retrieve(customer)  # a 404 for an unknown customer, as Stripe answers
        now = int(time.time())
        return web.json_response(
            {
                "id": "ephkey_" + secrets.token_hex(12),
                "object": "ephemeral_key",
                "associated_objects": [{"id": customer, "type": "customer"}],
                "created": now,
                "expires": now + 3600,
                "livemode": False,
                "secret": "ek_test_" + secrets.token_hex(24),
            }
        )

    app.router.add_post("/v1/ephemeral_keys", ephemeral_key_create)


if __name__ == "__main__":
    from localstripe.server import start

    install()
    start()
