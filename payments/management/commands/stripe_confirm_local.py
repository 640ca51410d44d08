"""Pays a PaymentIntent at localstripe with a test card, as Stripe Elements would in a browser."""

from typing import Any

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from payments.stripe_client import stripe_client

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000341"  # attaches, then the charge is declined


class Command(BaseCommand):
    help = "Confirms a PaymentIntent at localstripe with a test card (local runs only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("payment_intent_id")
        parser.add_argument(
            "--card", default=SUCCEEDS, help=f"Test card number ({DECLINED} is declined)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.STRIPE_LOCAL:
            raise CommandError("Only for localstripe: STRIPE_SECRET_KEY is set to a real key.")
        client = stripe_client()
        method = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": options["card"],
                    "exp_month": 12,
                    "exp_year": 2030,
                    "cvc": "123",
                },
            }
        )
        intent_id = options["payment_intent_id"]
        client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
        try:
            intent = client.v1.payment_intents.confirm(intent_id)
        except stripe.StripeError as exc:
            raise CommandError(f"Payment declined: {exc}") from exc
        self.stdout.write(f"{intent.id}: {intent.status}")
