"""A populated world for the schema fuzzer: a fan with a linked wallet and a valid access token,
a registered catalog on the session's anvil chain, a crypto order, custodial packs (one opened),
indexed songs and a withdrawal, so generated calls can reach real objects, not only 404s."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.flows.conftest import Fan, catalog, fan, run_background  # noqa: F401  (fixtures, shared with flows)
from tests.flows.test_custody import give_custodial_packs, open_custodial
from tests.payments.stripe_fixtures import localstripe, stripe_local  # noqa: F401  (card orders)
from trackpacks.models import Batch

SCHEMA_PATH = "/api/schema/?format=json"


@dataclass(frozen=True)
class World:
    fan: Fan
    access: str
    # Real ids, by the first path segment after /api/v1/ that owns an `{id}` parameter.
    ids: dict[str, int]


def _long_lived_access(owner: Fan) -> str:
    """An access token that outlives a slow CI run (the default lives 5 minutes)."""
    token = AccessToken.for_user(owner.user)
    token.set_exp(lifetime=timedelta(hours=1))
    return str(token)


@pytest.fixture
def world(fan: Fan, catalog: Batch, stripe_local: str) -> World:  # noqa: F811  (shared fixtures)
    opened, unopened = give_custodial_packs(fan, catalog, 2)
    revealed = open_custodial(fan, opened)["songs"]
    withdrawal = fan.api.post(
        "/api/v1/collection/withdraw/", {"token_id": revealed[0]["token_id"], "amount": 1}
    )
    assert withdrawal.status_code == 202, withdrawal.content
    run_background()
    order = fan.api.post(
        "/api/v1/orders/",
        {"batch": catalog.pk, "quantity": 1, "method": "crypto"},
        HTTP_IDEMPOTENCY_KEY=f"fuzz-{uuid.uuid4()}",
    )
    assert order.status_code == 201, order.content
    return World(
        fan=fan,
        access=_long_lived_access(fan),
        ids={
            "orders": order.json()["id"],
            "packs": unopened.pk,
            "withdrawals": withdrawal.json()["id"],
            "songs": revealed[0]["id"],
            "batches": catalog.pk,
        },
    )


@pytest.fixture
def api_schema(world: World) -> Iterator[OpenApiSchema]:
    """The live OpenAPI document, served by the WSGI app in-process; calls go to the same app.

    Like Django's test client, the requests must not close the database connection at their
    end: the test runs inside a transaction (on PostgreSQL, closing it loses the world)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
