"""The only place that talks to Stripe (or to localstripe, when no real key is configured).

A `StripeClient` per configuration instead of the library's module globals, so tests and
settings overrides never leak into each other."""

import logging
from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings
from rest_framework import status

from core.errors import ApplicationError

logger = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300


class PaymentProviderUnavailable(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            "The card payment provider is unavailable; nothing was charged or reserved. "
            "Try again in a moment.",
            code="payment_provider_unavailable",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )


@lru_cache(maxsize=8)
def _client(secret_key: str, api_base: str, timeout: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else {},
        http_client=stripe.RequestsClient(timeout=timeout),
        max_network_retries=1,
    )


def stripe_client() -> stripe.StripeClient:
    return _client(
        settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT_SECONDS
    )


def payment_intent_create(
    *, amount_cents: int, currency: str, order_id: int, order_ref: str
) -> stripe.PaymentIntent:
    try:
        return stripe_client().v1.payment_intents.create(
            params={
                "amount": amount_cents,
                "currency": currency,
                # Cards only: a card authorisation is known at once and can be held until
                # the packs exist on chain, then captured (or cancelled if the mint fails).
                "allowed_payment_method_types": ["card"],
                "capture_method": "manual",
                "metadata": {"order_id": str(order_id), "order_ref": order_ref},
            },
            # order_ref is random per order; a database primary key can come back after a
            # rollback (SQLite) and would replay another order's PaymentIntent.
            options={"idempotency_key": f"order:{order_ref}:payment_intent"},
        )
    except stripe.StripeError as exc:
        logger.warning("Stripe refused to create a PaymentIntent for order %s: %s", order_id, exc)
        raise PaymentProviderUnavailable() from exc


def payment_intent_cancel(*, payment_intent_id: str) -> bool:
    """Best effort: an unpaid reservation ends whether or not Stripe hears about it."""
    try:
        stripe_client().v1.payment_intents.cancel(payment_intent_id)
    except stripe.StripeError as exc:
        logger.warning("Could not cancel PaymentIntent %s: %s", payment_intent_id, exc)
        return False
    return True


# The calls below raise stripe.StripeError; payments.services.stripe_call_run retries them.


def payment_intent_capture(*, payment_intent_id: str, idempotency_key: str) -> None:
    stripe_client().v1.payment_intents.capture(
        payment_intent_id, options={"idempotency_key": idempotency_key}
    )


def payment_intent_cancel_once(*, payment_intent_id: str, idempotency_key: str) -> None:
    stripe_client().v1.payment_intents.cancel(
        payment_intent_id, options={"idempotency_key": idempotency_key}
    )


def payment_intent_refund(*, payment_intent_id: str, idempotency_key: str) -> None:
    stripe_client().v1.refunds.create(
        params={"payment_intent": payment_intent_id},
        options={"idempotency_key": idempotency_key},
    )


def payment_intent_status(*, payment_intent_id: str) -> str:
    return str(stripe_client().v1.payment_intents.retrieve(payment_intent_id).status)


def is_transient(exc: stripe.StripeError) -> bool:
    """Worth retrying: the network, a rate limit, or Stripe's own 5xx."""
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    return exc.http_status is None or exc.http_status >= 500


class InvalidWebhook(ApplicationError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_webhook", status_code=status.HTTP_400_BAD_REQUEST)


def webhook_event_construct(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The verified event as plain JSON data; refuses a missing, wrong or stale signature."""
    if not signature:
        raise InvalidWebhook("Missing Stripe-Signature header.")
    try:
        event = stripe.Webhook.construct_event(
            payload,
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=WEBHOOK_TOLERANCE_SECONDS,
            api_key=settings.STRIPE_SECRET_KEY,
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook("The Stripe-Signature does not verify.") from exc
    except ValueError as exc:
        raise InvalidWebhook("The body is not a Stripe event.") from exc
    data: dict[str, Any] = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise InvalidWebhook("The body is not a Stripe event.")
    return data


# Customers (saved cards) and the mobile PaymentSheet's customer ephemeral key.


def customer_create(*, user_id: int, email: str) -> str:
    try:
        customer = stripe_client().v1.customers.create(
            params={"email": email, "metadata": {"user_id": str(user_id)}},
            options={"idempotency_key": f"user:{user_id}:customer"},
        )
    except stripe.StripeError as exc:
        logger.warning("Stripe refused to create a customer for user %s: %s", user_id, exc)
        raise PaymentProviderUnavailable() from exc
    return str(customer.id)


def payment_intent_attach_customer(*, payment_intent_id: str, customer_id: str) -> None:
    """PaymentSheet shows a customer's saved cards only for an intent that names them."""
    try:
        stripe_client().v1.payment_intents.update(
            payment_intent_id, params={"customer": customer_id}
        )
    except stripe.StripeError as exc:
        logger.warning("Could not attach %s to %s: %s", customer_id, payment_intent_id, exc)
        raise PaymentProviderUnavailable() from exc


def ephemeral_key_create(*, customer_id: str) -> str:
    """A short-lived key that lets the mobile SDK act for this one customer (its secret)."""
    try:
        key = stripe_client().v1.ephemeral_keys.create(
            params={"customer": customer_id},
            options={"stripe_version": stripe.api_version},
        )
    except stripe.StripeError as exc:
        logger.warning("Could not create an ephemeral key for %s: %s", customer_id, exc)
        raise PaymentProviderUnavailable() from exc
    return str(key.secret)
