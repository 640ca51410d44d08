"""Card fulfilment throughput: 200 paid card orders -> every pack minted on anvil and every
order fulfilled from its indexed `PacksMinted`.

Each payment goes through the service the Stripe webhook calls (`payments.services.
stripe_event_apply` with a `payment_intent.succeeded` event; Stripe itself is not involved:
the orders are created as `order_create` leaves them, with a PaymentIntent id). That enqueues
one `mintPacks` per order in the outbox (sender role `minter`). Then the outbox and indexer
passes the Celery tasks run are called back to back (no beat wait) until every order is
`fulfilled`. Reported: seconds, transactions sent, nonce errors (outbox warnings, re-queued or
failed rows), and an on-chain check of the minter's nonce and every holder's pack balance.

    .venv/bin/python -m benchmarks.card_fulfilment [--orders 200]
"""

import argparse
import logging
import sys
import time
from datetime import timedelta

from benchmarks.harness import prepare
from core.localprocs import free_port, stop

TARGET_SECONDS = 60.0


class _NonceErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "nonce" in message.lower():
            self.records.append(message)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()

    anvil_port = free_port()
    tmp = prepare("card", CHAIN_RPC_URL=f"http://127.0.0.1:{anvil_port}", CHAIN_ID="31337")
    from benchmarks.chainstack import deploy_with_catalog, start_anvil

    procs = [start_anvil(tmp, anvil_port)]
    try:
        from django.db.models import F
        from django.utils import timezone
        from web3 import Web3

        from accounts.models import User
        from chain.client import get_web3, trackpacks_contract
        from chain.config import SenderRole, signer_address
        from chain.indexer import indexer_process_once
        from chain.models import ChainTransaction, ChainTransactionAttempt
        from chain.outbox import outbox_process_once
        from payments.models import Order, OrderStatus, PaymentMethod
        from payments.services import stripe_event_apply
        from trackpacks.models import PACK_ID_OFFSET, Batch, Pack

        batch = deploy_with_catalog()
        nonce_errors = _NonceErrors()
        logging.getLogger("chain").addHandler(nonce_errors)
        logging.getLogger("chain").setLevel(logging.WARNING)

        # 200 fans, one card order each (1-3 packs), reserved as order_create leaves them.
        User.objects.bulk_create(
            User(email=f"card-fan-{i}@example.com", password="!")  # noqa: S106  (unusable)
            for i in range(args.orders)
        )
        fans = list(User.objects.filter(email__startswith="card-fan-").order_by("pk"))
        expires = timezone.now() + timedelta(minutes=30)
        orders = Order.objects.bulk_create(
            Order(
                user=fan,
                batch=batch,
                quantity=i % 3 + 1,
                method=PaymentMethod.CARD,
                amount_cents=batch.price_cents * (i % 3 + 1),
                currency=batch.currency,
                amount_wei=batch.price_wei * (i % 3 + 1),
                expires_at=expires,
                stripe_payment_intent_id=f"pi_bench_{i}",
                stripe_client_secret=f"pi_bench_{i}_secret_x",
            )
            for i, fan in enumerate(fans)
        )
        packs_total = sum(order.quantity for order in orders)
        Batch.objects.filter(pk=batch.pk).update(available=F("available") - packs_total)
        orders_before = ChainTransaction.objects.count()

        started = time.perf_counter()
        for i, order in enumerate(orders):
            stripe_event_apply(
                event={
                    "id": f"evt_bench_{i}",
                    "type": "payment_intent.succeeded",
                    "data": {
                        "object": {
                            "id": order.stripe_payment_intent_id,
                            "amount_received": order.amount_cents,
                            "currency": order.currency,
                        }
                    },
                }
            )
        enqueued_at = time.perf_counter() - started
        passes = 0
        deadline = started + 300
        open_statuses = [
            ChainTransaction.Status.QUEUED,
            ChainTransaction.Status.SENT,
            ChainTransaction.Status.MINED,
        ]
        while (
            Order.objects.filter(pk__in=[o.pk for o in orders])
            .exclude(status=OrderStatus.FULFILLED)
            .exists()
            or ChainTransaction.objects.filter(status__in=open_statuses).exists()
        ):
            if time.perf_counter() > deadline:
                raise SystemExit("card orders not fulfilled after 300 s")
            outbox_process_once()
            indexer_process_once()
            passes += 1
        elapsed = time.perf_counter() - started

        mints = ChainTransaction.objects.filter(function="mintPacks")
        sent = ChainTransactionAttempt.objects.filter(transaction__function="mintPacks").count()
        failed = mints.filter(status=ChainTransaction.Status.FAILED).count()
        requeued = mints.filter(last_error__icontains="nonce").count()
        w3 = get_web3()
        minter = Web3.to_checksum_address(signer_address(SenderRole.MINTER))
        chain_nonce = w3.eth.get_transaction_count(minter)
        contract = trackpacks_contract()
        pack_token = PACK_ID_OFFSET + batch.pk
        short = [
            order.pk
            for order in Order.objects.filter(pk__in=[o.pk for o in orders]).select_related("user")
            if contract.functions.balanceOf(
                Web3.to_checksum_address(order.user.custodial_address or ""), pack_token
            ).call()
            != order.quantity
        ]
        packs_indexed = Pack.objects.filter(order__in=orders).count()
        assert ChainTransaction.objects.count() - orders_before == args.orders
    finally:
        stop(procs)

    nonce_error_count = len(nonce_errors.records) + requeued
    for message in nonce_errors.records[:5]:
        print("outbox:", message[:300])
    print(
        f"\nCard fulfilment: {args.orders} paid card orders ({packs_total} packs) -> minted on "
        f"anvil and fulfilled from the indexed PacksMinted ({passes} outbox+indexer passes)"
    )
    print("| orders | packs | seconds | payments applied in | mint txs sent | minter nonce "
          "| nonce errors | failed | holders short | target |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    ok = elapsed <= TARGET_SECONDS and nonce_error_count == 0 and not failed and not short
    print(
        f"| {args.orders} | {packs_indexed}/{packs_total} | {elapsed:.1f} s | {enqueued_at:.1f} s "
        f"| {sent} | {chain_nonce} | {nonce_error_count} | {failed} | {len(short)} "
        f"| ≤ {TARGET_SECONDS:g} s, 0 nonce errors: {'met' if ok else 'MISSED'} |"
    )
    return 1 if failed or short else 0  # a slow run is a finding; a lost mint is a bug


if __name__ == "__main__":
    sys.exit(main())
