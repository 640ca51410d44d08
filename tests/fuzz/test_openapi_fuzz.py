"""Property-based fuzzing of every operation in the live OpenAPI schema (schemathesis, in-process).

Each generated call carries the world's fan access token. The checks: no 5xx, documented status
codes, content types, headers and bodies, invalid (negative) data rejected with a 4xx, and a
protected operation refuses the same call without credentials with a 401.

Throttle counters are cleared before each generated call so 429s do not starve coverage (the
throttles themselves are tested in tests/security/test_api4_resource_consumption.py).

The Stripe webhook is fuzzed too, but only its failure path: generated bodies can never carry a
valid `Stripe-Signature`, so every call must be a documented 400; the signed success path is
tested with real signatures in tests/payments/.

Not checked: `positive_data_acceptance` (schema-valid data is still refused by business rules,
e.g. an unknown batch is a 404/422). The operations are driven by hand from
`schema.get_all_operations()` (one world for all, one subtest each) because schemathesis'
`from_fixture` pytest integration does not run on pytest 9.2.
"""

from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.fuzz.conftest import World

pytestmark = [pytest.mark.chain, pytest.mark.django_db]

EXAMPLES_PER_OPERATION = 50
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
WEBHOOK = "/api/v1/payments/stripe/webhook/"
Operation = APIOperation[Any, Any, Any, Any]


def _requires_auth(operation: Operation) -> bool:
    security = operation.definition.raw.get("security") or []
    return any("jwtAuth" in requirement for requirement in security)


def _auth_headers(operation: Operation, world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.access}"} if _requires_auth(operation) else {}


def _cases(operation: Operation, world: World) -> st.SearchStrategy[Any]:
    """Valid and invalid cases; when the path has an `{id}`, valid cases also target the
    world's own object, since a random id only ever reaches the 404 branch."""
    # A fixed, valid bearer token: otherwise schemathesis makes one up and every call is a 401.
    auth = (
        {"headers": {"Authorization": f"Bearer {world.access}"}}
        if _requires_auth(operation)
        else {}
    )
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE, **auth),
        operation.as_strategy(GenerationMode.NEGATIVE, **auth),
    ]
    resource = operation.path.removeprefix("/api/v1/").split("/{id}")[0].split("/")[-1]
    if "{id}" in operation.path and resource in world.ids:
        strategies.append(
            operation.as_strategy(
                GenerationMode.POSITIVE, path_parameters={"id": world.ids[resource]}, **auth
            )
        )
    return st.one_of(strategies)


def _fuzz(operation: Operation, world: World) -> None:
    protected = _requires_auth(operation)
    statuses: set[int] = set()

    @given(case=_cases(operation, world))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    def run(case: Any) -> None:
        cache.clear()  # throttle counters
        # The in-process WSGI transport does not undo Content-Encoding as an HTTP client
        # would: ask for identity (gzip is tested in tests/production/test_http.py).
        identity = {"Accept-Encoding": "identity"}
        response = case.call(headers=identity)
        # Told that the token is the caller's own (not generated), schemathesis probes the
        # operation without it and with a made-up one, instead of failing every 2xx.
        case.validate_response(
            response, checks=CHECKS, headers={**identity, **_auth_headers(operation, world)}
        )
        statuses.add(response.status_code)
        if operation.path == WEBHOOK:
            # No generated body carries a valid Stripe-Signature: never applied, always a 400.
            assert response.status_code == 400, response.text
        if protected and response.status_code != 404:
            cache.clear()
            headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
            anonymous: Any = case.operation.Case(
                method=case.method,
                path_parameters=case.path_parameters,
                headers=headers,
                query=case.query,
                body=case.body,
                media_type=case.media_type,
            ).call()
            assert anonymous.status_code == 401, anonymous.text

    run()
    if protected:
        # The token worked: the run reached past authentication, not 401s all along.
        assert statuses - {401}, statuses


def test_every_operation_honours_its_schema(
    api_schema: OpenApiSchema, world: World, subtests: Any
) -> None:
    results = list(api_schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results  # the schema loads
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) >= 28  # every operation of the v1 API, none lost by the loader
    for operation in operations:
        with subtests.test(msg=operation.label):
            _fuzz(operation, world)
