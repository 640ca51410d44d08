"""SQL queries per request for every list and detail endpoint, at page sizes 1, 20 and 100.

Counted in-process with Django's test client (the full middleware and JWT auth stack, the
same code gunicorn runs) on a seeded SQLite database: every list has more than 100 rows.

    .venv/bin/python -m benchmarks.query_counts
"""

import sys
from datetime import timedelta
from decimal import Decimal

from benchmarks.harness import prepare

LIST_TARGET = 5
PAGE_SIZES = (1, 20, 100)


def _seed_more(fan: object) -> None:
    from django.conf import settings
    from django.utils import timezone
    from web3 import Web3

    from accounts.models import User
    from chain.client import TRACKPACKS, DeployedContract, Deployment, write_deployment
    from chain.models import TokenBalance
    from payments.models import Order, OrderStatus
    from trackpacks.models import Batch, Song, Withdrawal

    assert isinstance(fan, User)
    # A deployment record (no node is contacted) so the fan has a derived custodial address.
    write_deployment(
        Deployment(
            chain_id=settings.CHAIN_ID,
            contracts={
                TRACKPACKS: DeployedContract(
                    address=Web3.to_checksum_address("0x" + "cd" * 20), block=0
                )
            },
            key_hash="",
            subscription_id=0,
        )
    )
    custodial = fan.custodial_address
    assert custodial is not None
    fan.wallet_address = "0x" + "ef" * 20
    fan.save(update_fields=["wallet_address"])
    batches = list(Batch.objects.all())
    songs = list(Song.objects.all())
    now = timezone.now()
    Order.objects.bulk_create(
        Order(
            user=fan,
            batch=batches[i % len(batches)],
            quantity=1,
            method="card",
            status=OrderStatus.PENDING if i % 3 == 0 else OrderStatus.FULFILLED,
            amount_cents=500,
            currency="usd",
            amount_wei=10**16,
            expires_at=now + timedelta(minutes=30),
            stripe_payment_intent_id=f"pi_bench_{i}",
            stripe_client_secret=f"pi_bench_{i}_secret",
        )
        for i in range(120)
    )
    Withdrawal.objects.bulk_create(
        Withdrawal(
            user=fan,
            song=songs[i % len(songs)],
            amount=1,
            from_address=custodial,
            to_address=fan.wallet_address,
        )
        for i in range(120)
    )
    TokenBalance.objects.bulk_create(
        TokenBalance(address=custodial, token_id=song.token_id, balance=Decimal(2))
        for song in songs[:120]
    )


def main() -> int:
    prepare("queries")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.services import user_tokens
    from benchmarks.seed import seed
    from payments.models import Order
    from trackpacks.models import Batch, Pack, Song, Withdrawal

    seeded = seed(songs=200, batches=120, packs=120, opened=60)
    _seed_more(seeded.fan)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {user_tokens(user=seeded.fan)['access']}")

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code} {response.content[:200]!r}")
        return len(queries)

    lists = ["songs", "batches", "packs", "orders", "collection/withdrawals"]
    details = {
        "songs": Song.objects.first(),
        "batches": Batch.objects.first(),
        "packs": Pack.objects.filter(status="opened").first(),
        "orders": Order.objects.first(),
        "collection/withdrawals": Withdrawal.objects.first(),
    }
    print("\nSQL queries per request (JWT user lookup included on authenticated endpoints)")
    print("| endpoint | page_size=1 | page_size=20 | page_size=100 | detail | target (lists) |")
    print("|---|---:|---:|---:|---:|---|")
    worst = 0
    for name in lists:
        counts = [count(f"/api/v1/{name}/?page_size={size}") for size in PAGE_SIZES]
        worst = max(worst, *counts)
        obj = details[name]
        assert obj is not None
        detail = count(f"/api/v1/{name}/{obj.pk}/")
        ok = "met" if max(counts) <= LIST_TARGET else "MISSED"
        print(f"| {name} | {' | '.join(map(str, counts))} | {detail} | ≤ {LIST_TARGET} {ok} |")
    collection = count("/api/v1/collection/")  # not paginated: every song the fan holds
    worst = max(worst, collection)
    ok = "met" if collection <= LIST_TARGET else "MISSED"
    print(f"| collection (120 songs, unpaginated) | {collection} | {collection} | {collection} "
          f"| - | ≤ {LIST_TARGET} {ok} |")  # fmt: skip
    return 0 if worst <= LIST_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
