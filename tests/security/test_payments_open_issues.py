"""Payments issues found by the security suite, reported to the payments owner and kept here
as strict xfails: each one turns into a failure (XPASS) the moment it is fixed, so the mark
gets removed with the fix."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import user_tokens
from tests.factories import make_batch, make_order
from tests.openapi import find_operation

pytestmark = pytest.mark.django_db


@pytest.mark.xfail(
    strict=True,
    reason="payments: the order list/detail render each crypto order's wallet call from the "
    "chain deployment, so without a deployment record (misconfigured or not yet deployed) "
    "GET /orders/ and /orders/{id}/ answer 503, which their schema does not document; only "
    "POST /orders/ declares 503. Document it or render orders without the deployment.",
)
def test_order_reads_answer_only_documented_statuses_without_a_chain(user: User) -> None:
    order = make_order(user=user, batch=make_batch())
    client = Client(raise_request_exception=False)
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {user_tokens(user=user)['access']}"}
    for path in ["/api/v1/orders/", f"/api/v1/orders/{order.pk}/"]:
        response = client.get(path, **auth)
        operation = find_operation(path, "get")
        assert operation is not None
        assert str(response.status_code) in operation["responses"], (path, response.status_code)
