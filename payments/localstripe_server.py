"""Runs localstripe with the events a manual-capture card payment gets from real Stripe.

localstripe 1.15 supports `capture_method=manual` (confirm leaves the PaymentIntent in
`requires_capture`, `POST .../capture` captures and sends `payment_intent.succeeded`) but sends
no event for the authorisation, the cancel or a refund. Stripe does:
`payment_intent.amount_capturable_updated`, `payment_intent.canceled`, `charge.refunded`.
Nor can a declined PaymentIntent take a new card, which Stripe allows (the buyer retries),
and it knows the parameter `payment_method_types` only by its older name.
This adds all of that (and `amount_capturable`), so local runs and the flow tests exercise
the same webhook path as production. Imports no Django: `python -m payments.localstripe_server
--port N [--from-scratch] [--no-disk]`."""

import sys
from typing import Any

import localstripe.resources as resources
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


def main() -> None:
    _patch()
    if "--no-disk" in sys.argv:
        # Tests: neither clobber a developer's /tmp/localstripe.pickle nor pay for the writes.
        sys.argv.remove("--no-disk")
        resources.Store.dump_to_disk = lambda self: None
    from localstripe.server import start  # after _patch

    from tools.localstripe_ext import install  # customer ephemeral keys (PaymentSheet)

    install()
    start()


if __name__ == "__main__":
    main()
