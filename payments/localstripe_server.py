"""Runs localstripe with the events a manual-capture card payment gets from real Stripe.

localstripe 1.15 supports `capture_method=manual` (confirm leaves the PaymentIntent in
`requires_capture`, `POST .../capture` captures and sends `payment_intent.succeeded`) but sends
no event for the authorisation, the cancel or a refund. Stripe does:
`payment_intent.amount_capturable_updated`, `payment_intent.canceled`, `charge.refunded`.
Nor can a declined PaymentIntent take a new card, which Stripe allows (the buyer retries),
and it knows the parameter `payment_method_types` only by its older name.
This adds all of that (and `amount_capturable`), so local runs and the flow tests exercise
the same webhook path as production.

localstripe's own Stripe.js only fakes 3-D Secure: it cannot confirm a PaymentIntent with the
card typed into a Card Element, which real Stripe.js does with the publishable key and the
intent's client secret. That call is added too (checked the same way), with a Stripe.js at
`/js.stripe.com/v3/trackpacks.js` whose `confirmCardPayment(clientSecret, {payment_method:
{card}})` uses it, so the fan app runs the same code against Stripe and here.

Imports no Django: `python -m payments.localstripe_server --port N [--from-scratch] [--no-disk]`."""

import sys
from pathlib import Path
from typing import Any

import localstripe
import localstripe.resources as resources
from aiohttp import web
from localstripe.errors import UserError
from localstripe.webhooks import schedule_webhook

PaymentIntent: Any = resources.PaymentIntent
Refund: Any = resources.Refund
Charge: Any = resources.Charge
Event: Any = resources.Event


def _amount_capturable(self: Any) -> int:
    return int(self.amount) if self.status == "requires_capture" else 0


def _patch() -> None:
    create_charge = PaymentIntent._create_charge
    api_cancel = PaymentIntent._api_cancel.__func__
    refund_init = Refund.__init__
    api_update = PaymentIntent._api_update.__func__
    intent_init = PaymentIntent.__init__

    def _intent_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if "allowed_payment_method_types" in kwargs:
            kwargs["payment_method_types"] = kwargs.pop("allowed_payment_method_types")
        intent_init(self, *args, **kwargs)

    def _create_charge(self: Any, on_failure_now: Any) -> None:
        create_charge(self, on_failure_now)
        if self.status == "requires_capture":
            schedule_webhook(Event("payment_intent.amount_capturable_updated", self))

    def _api_cancel(cls: Any, /, id: str, **kwargs: Any) -> Any:
        intent = api_cancel(cls, id, **kwargs)
        schedule_webhook(Event("payment_intent.canceled", intent))
        return intent

    def _refund_init(self: Any, *args: Any, **kwargs: Any) -> None:
        refund_init(self, *args, **kwargs)
        schedule_webhook(Event("charge.refunded", Charge._api_retrieve(self.charge)))

    def _api_update(cls: Any, /, id: str, **data: Any) -> Any:
        intent = cls._api_retrieve(id)
        if "payment_method" in data and intent.status == "requires_payment_method":
            intent.latest_charge = None  # declined before: a new card may be confirmed
        return api_update(cls, id, **data)

    PaymentIntent.__init__ = _intent_init
    PaymentIntent._api_update = classmethod(_api_update)
    PaymentIntent.amount_capturable = property(_amount_capturable)
    PaymentIntent._create_charge = _create_charge
    PaymentIntent._api_cancel = classmethod(_api_cancel)
    Refund.__init__ = _refund_init
    # Extra routes hold the bound method they were declared with: swap the cancel route's
    # before localstripe.server turns them into handlers.
    resources.extra_apis[:] = [
        (method, url, PaymentIntent._api_cancel if url.endswith("/{id}/cancel") else func)
        if url.startswith("/v1/payment_intents")
        else (method, url, func)
        for method, url, func in resources.extra_apis
    ]


CONFIRM_PATH = "/js.stripe.com/v3/_confirm/{intent}"
SCRIPT_PATH = "/js.stripe.com/v3/trackpacks.js"

_SCRIPT_EXTENSION = """
// trackpacks: confirmCardPayment with a Card Element confirms the intent with the card typed
// in it (as Stripe.js does against Stripe), then runs localstripe's 3-D Secure step if needed.
(function () {
  const localstripeFactory = Stripe;
  Stripe = (apiKey) => {
    const stripe = localstripeFactory(apiKey);
    const authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async (clientSecret, data) => {
      const element = data && data.payment_method && data.payment_method.card;
      if (!element) return authenticate(clientSecret, data);
      const match = /^(pi_\\w+)_secret_/.exec(clientSecret);
      if (!match) return {error: {message: 'Invalid client secret.'}};
      const response = await fetch(
        `${LOCALSTRIPE_BASE_API}/js.stripe.com/v3/_confirm/${match[1]}`,
        {method: 'POST', body: JSON.stringify(
          {key: apiKey, client_secret: clientSecret, card: (element.value || {}).card})});
      const body = await response.json().catch(() => ({}));
      if (!response.ok || body.error) return {error: body.error || {message: 'Payment failed.'}};
      if (body.status === 'requires_action') return authenticate(clientSecret, data);
      return {paymentIntent: body};
    };
    return stripe;
  };
})();
"""


def _card(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise UserError(400, "Enter your card details.")
    return {
        "number": str(raw.get("number", "")).replace(" ", ""),
        **{field: str(raw.get(field, "")) for field in ("exp_month", "exp_year", "cvc")},
    }


async def confirm_in_browser(request: web.Request) -> web.Response:
    """`POST /v1/payment_intents/{id}/confirm` as Stripe.js sends it: publishable key plus the
    intent's client secret, and the card as `payment_method_data`."""
    data = await request.json()
    if not str(data.get("key", "")).startswith("pk_"):
        raise UserError(401, "Unauthorized")
    intent = resources.PaymentIntent._api_retrieve(request.match_info["intent"])
    if data.get("client_secret") != intent.client_secret:
        raise UserError(401, "The client secret does not match this PaymentIntent.")
    try:
        method = resources.PaymentMethod._api_create(type="card", card=_card(data.get("card")))
    except UserError as exc:
        exc.body["error"].setdefault("message", "Your card details are incomplete.")
        raise
    resources.PaymentIntent._api_update(intent.id, payment_method=method.id)
    confirmed = resources.PaymentIntent._api_confirm(intent.id)
    return web.json_response(confirmed._export())


async def stripe_js(request: web.Request) -> web.Response:
    base = (Path(localstripe.__file__).parent / "localstripe-v3.js").read_text()
    return web.Response(text=base + _SCRIPT_EXTENSION, content_type="application/javascript")


def main() -> None:
    _patch()
    if "--no-disk" in sys.argv:
        # Tests: neither clobber a developer's /tmp/localstripe.pickle nor pay for the writes.
        sys.argv.remove("--no-disk")
        resources.Store.dump_to_disk = lambda self: None
    from localstripe.server import app, start  # after _patch

    from tools.localstripe_ext import install  # customer ephemeral keys (PaymentSheet)

    install()
    app.router.add_post(CONFIRM_PATH, confirm_in_browser)
    app.router.add_get(SCRIPT_PATH, stripe_js)
    start()


if __name__ == "__main__":
    main()
