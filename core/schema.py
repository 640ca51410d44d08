"""OpenAPI generation: the document client generators and linters read (docs/openapi.yaml).

Every operation carries a summary and a description, documents every status it can return with
the shared error body, and the headers that come with them (`X-Request-ID` always,
`Retry-After` on 429/503, `WWW-Authenticate` on 401). Path ids are integers. The summaries live
here, in one table, so client teams read the API's wording in one place; a view's own
`extend_schema(summary=...)` wins over the table, and an operation with neither fails
`make schema` (a warning there is an error)."""

from dataclasses import dataclass
from typing import Any

from drf_spectacular import openapi
from drf_spectacular.drainage import warn
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import permissions, serializers

FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Per-field messages, by field name (`non_field_errors` for the whole body). "
    "A nested object's errors nest the same way.",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": True},
        ]
    },
}


@extend_schema_field(FIELD_ERRORS_SCHEMA)
class FieldErrorsField(serializers.DictField):
    pass


class ErrorDetailsSerializer(serializers.Serializer[Any]):
    """Structured context of an error; which keys appear depends on the error code."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "fields" is the clients' name, but a reserved attribute on serializers.
        return {
            "fields": FieldErrorsField(
                required=False, help_text="`validation_error`: what to fix."
            ),
            "retry_after": serializers.IntegerField(
                required=False, help_text="`throttled`: seconds until a retry can succeed."
            ),
            "available": serializers.IntegerField(
                required=False, help_text="`insufficient_balance`: how many are left."
            ),
            "order_status": serializers.CharField(
                required=False, help_text="The order's status when the request was refused."
            ),
            "location": serializers.CharField(
                required=False, help_text="`trailing_slash_required`: the path to call instead."
            ),
        }


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = ErrorDetailsSerializer()


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


_DESCRIPTIONS = {
    "400": "Validation failed or the request is malformed (`details.fields` says what to fix).",
    "401": "Missing, expired or invalid credentials (see `WWW-Authenticate`).",
    "403": "Authenticated but not allowed.",
    "404": "Not found (or not yours).",
    "406": "The `Accept` header does not allow `application/json`.",
    "409": "Conflicts with the current state.",
    "413": "The request body is too large.",
    "415": "Unsupported media type: send `Content-Type: application/json`.",
    "422": "A business rule refused the request (`error.code` says which).",
    "429": "Throttled; retry after the `Retry-After` header's seconds.",
    "503": "A dependency (payment provider, chain node) is unavailable; nothing was changed. "
    "Retry after the `Retry-After` header's seconds.",
}

_SUCCESS_DESCRIPTIONS = {
    "200": "OK.",
    "201": "Created.",
    "202": "Accepted: the work continues in the background; poll the returned resource.",
    "204": "Done; no body.",
}


def error_response(status_code: int, description: str | None = None) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer, description=description or _DESCRIPTIONS[str(status_code)]
    )


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str
    errors: tuple[int, ...] = ()  # beyond the ones every operation of its kind has


_POLL = " Poll the resource until its `status` changes; the work is done by background workers."

OPERATIONS: dict[str, Operation] = {
    "health": Operation(
        "Service health",
        "Database, chain RPC, worker heartbeat, outbox backlog, indexer lag and orders under "
        "review. 200 when healthy, 503 (same body) when degraded.",
    ),
    "config_retrieve": Operation(
        "Client start-up configuration",
        "What a client needs before anything else: the Stripe publishable key, the chain id, "
        "the contract address, the block explorer's base URL and the API's limits.",
    ),
    "auth_register": Operation(
        "Create an account",
        "Creates an account with an email and password (at least 12 characters) and returns "
        "the user with a first token pair. A verification mail is sent to the address.",
        (409,),
    ),
    "auth_login": Operation(
        "Log in",
        "Exchanges email and password for an access token (5 minutes) and a refresh token "
        "(1 day). Throttled per IP and per email.",
        (401,),
    ),
    "auth_refresh": Operation(
        "Refresh the token pair",
        "Rotates the refresh token: the answer carries a new pair and the old refresh token "
        "stops working, except that within a short grace window the same old token returns "
        "the same new pair again (two tabs refreshing at once).",
        (401,),
    ),
    "auth_logout": Operation(
        "Log out", "Revokes the given refresh token; its access tokens expire on their own."
    ),
    "auth_me": Operation("Your profile", "Email, display name, verification and wallets."),
    "auth_me_update": Operation("Update your profile", "Changes the display name."),
    "auth_me_delete": Operation(
        "Delete your account",
        "Needs the current password. The account is anonymised and can no longer log in; "
        "orders and chain records are kept (without personal data) for the books.",
        (409,),
    ),
    "auth_password_change": Operation(
        "Change your password",
        "Needs the current password; every refresh token of the account is revoked.",
    ),
    "auth_password_reset": Operation(
        "Ask for a password reset mail",
        "Always 202, whether or not the account exists (no account enumeration).",
    ),
    "auth_password_reset_confirm": Operation(
        "Set a new password from a reset mail",
        "Takes the `uid` and `token` of the mailed link; revokes every refresh token.",
    ),
    "auth_email_verify": Operation(
        "Confirm an email address",
        "Takes the token of a verification or email-change mail (it expires, and stops "
        "working once the account's email changes; a second use of a verification link "
        "changes nothing). For an email change, the login email becomes the new address.",
    ),
    "auth_email_verify_resend": Operation(
        "Send the verification mail again",
        "Sends a new verification link to the account's address (throttled). 409 when the "
        "address is already verified.",
        (409,),
    ),
    "auth_email_change": Operation(
        "Change your email address",
        "Needs the current password. Mails a confirmation link to the new address; the "
        "login email changes only when that link is used.",
        (409,),
    ),
    "auth_wallet_nonce": Operation(
        "Start linking a wallet (Sign-In with Ethereum)",
        "Returns a single-use nonce inside the exact EIP-4361 message the wallet must sign.",
        (409,),
    ),
    "auth_wallet_link": Operation(
        "Link a wallet",
        "Checks the EIP-4361 message and its EIP-191 signature, consumes the nonce and links "
        "the signing address to your account.",
        (409, 422),
    ),
    "auth_wallet_unlink": Operation(
        "Unlink your wallet",
        "Removes the linked wallet. Packs and songs held by that wallet stay there (they are "
        "yours on chain); withdrawals then need a newly linked wallet. 409 while a withdrawal "
        "to it is still on its way.",
        (409,),
    ),
    "songs_list": Operation(
        "List songs",
        "The catalog, ordered by token id unless `ordering` says otherwise; filter by "
        "artist, rarity or a search term.",
    ),
    "songs_retrieve": Operation("Get a song", "One song of the catalog."),
    "batches_list": Operation(
        "List batches",
        "Releases of packs with their price, supply, remaining count, song pool and weights.",
    ),
    "batches_retrieve": Operation("Get a batch", "One batch with its pool and weights."),
    "orders_list": Operation("List your orders", "Newest first; filter by `status` and `method`."),
    "orders_create": Operation(
        "Order packs",
        "Reserves `quantity` packs of a batch for 30 minutes. Card: the answer carries the "
        "Stripe client secret to confirm the payment with. Crypto: the answer carries the "
        "`buyPacks` transaction for the linked wallet. Needs an `Idempotency-Key` header: a "
        "retry with the same key and body replays the first answer (`Idempotent-Replayed: "
        "true`).",
        (409, 422, 503),
    ),
    "orders_retrieve": Operation("Get an order", "One of your orders, with what to pay."),
    "orders_cancel": Operation(
        "Cancel an unpaid order",
        "Frees the reserved packs at once and cancels the card payment at Stripe. An order "
        "that is paid (or being paid) cannot be cancelled (409).",
        (409,),
    ),
    "orders_crypto_tx": Operation(
        "Settle a crypto order from its transaction",
        "Checks the given transaction on chain and settles the order at once instead of "
        "waiting for the indexer.",
        (409, 422, 503),
    ),
    "payments_stripe_webhook": Operation(
        "Stripe webhook",
        "Called by Stripe, authenticated by the `Stripe-Signature` header over the raw body. "
        "Each event id is applied once; an order only moves forward.",
    ),
    "orders_payment_sheet": Operation(
        "Mobile PaymentSheet parameters",
        "What Stripe's mobile PaymentSheet needs to pay a pending card order as a returning "
        "customer (saved cards): the customer id, a short-lived customer ephemeral key and "
        "the PaymentIntent's client secret.",
        (409, 422, 503),
    ),
    "packs_list": Operation("List your packs", "Filter by `status`, `batch` and `custody`.", ()),
    "packs_retrieve": Operation("Get a pack", "With its 5 songs once it is opened."),
    "packs_open": Operation(
        "Open a pack",
        "Custodial packs are opened by the backend; a self-custody pack answers with the "
        "`openPack` transaction the owner's wallet must send. The status becomes `opening`, "
        "then `opened` with 5 songs once the randomness arrives." + _POLL,
        (409, 422, 503),
    ),
    "collection_list": Operation(
        "List your song NFTs", "Balances per song and holder address (custodial or your wallet)."
    ),
    "collection_withdraw": Operation(
        "Withdraw songs to your wallet",
        "Moves custodial song NFTs to your linked wallet. Answers 202 with the withdrawal;" + _POLL,
        (422, 503),
    ),
    "withdrawals_list": Operation("List your withdrawals", "Newest first."),
    "withdrawals_retrieve": Operation("Get a withdrawal", "Its status and transaction hash."),
    "openings_proof": Operation(
        "Proof of an opening",
        "The pool and weights, the VRF word, the transactions and the recomputed draw: "
        "anyone can verify that an opening followed the published odds.",
    ),
}


class AutoSchema(openapi.AutoSchema):
    def _requires_auth(self) -> bool:
        return not all(
            isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )

    def _has_request_body(self) -> bool:
        return self.method in {"POST", "PUT", "PATCH"} and self.get_request_serializer() is not None

    def _error_codes(self) -> list[str]:
        codes = ["400", "404", "406", "429"]
        if self._requires_auth():
            codes += ["401", "403"]
        if self._has_request_body():
            codes += ["413", "415"]
        known = OPERATIONS.get(self.get_operation_id())
        if known is not None:
            codes += [str(code) for code in known.errors]
        return codes

    def get_summary(self) -> str | None:
        known = OPERATIONS.get(self.get_operation_id())
        return super().get_summary() or (known.summary if known else None)

    def get_description(self) -> str:  # type: ignore[override]
        known = OPERATIONS.get(self.get_operation_id())
        return (known.description if known else "") or super().get_description()

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction=direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    error_response(int(code)), code, direction=direction
                )
        return responses


# ---------------------------------------------------------------- postprocessing

_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id (yours if you sent a well-formed `X-Request-ID`, "
        "8-64 of `A-Za-z0-9._-`); quote it when reporting a problem.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWW-Authenticate": {
        "description": 'The auth scheme to use: `Bearer realm="api"`.',
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this answer is the replay of an earlier request with the "
        "same `Idempotency-Key`; absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def _header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name.replace('-', '')}"}


def _response_headers(status: str, operation: dict[str, Any]) -> dict[str, Any]:
    names = ["X-Request-ID"]
    if status in {"429", "503"}:
        names.append("Retry-After")
    if status == "401":
        names.append("WWW-Authenticate")
    idempotent = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    if idempotent and status.startswith("2"):
        names.append("Idempotent-Replayed")
    return {name: _header_ref(name) for name in names}


def _document_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    if not operation.get("summary"):
        warn(
            f"{method.upper()} {path} ({operation['operationId']}) has no summary: add it "
            "to core.schema.OPERATIONS or to its extend_schema(summary=...)"
        )
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] in {"id", "pk"}:
            parameter["schema"] = {"type": "integer", "format": "int64", "minimum": 1}
        if parameter["name"] == "Idempotency-Key":
            parameter["schema"] = {
                "type": "string",
                "minLength": 8,
                "maxLength": 255,
                "pattern": "^[\\x21-\\x7e]{8,255}$",
            }
    if "security" not in operation or operation["security"] == [{}]:
        operation["security"] = []  # public: explicitly no credentials
    for status, response in operation["responses"].items():
        if not response.get("description"):
            response["description"] = _SUCCESS_DESCRIPTIONS.get(status, "OK.")
        response["headers"] = {
            **response.get("headers", {}),
            **_response_headers(status, operation),
        }


def _fix_nullable_refs(node: Any) -> None:
    """`allOf: [$ref], nullable: true` needs a `type` beside `nullable` (OpenAPI 3.0)."""
    if isinstance(node, dict):
        if node.get("nullable") and "allOf" in node and "type" not in node:
            node["type"] = "object"
        for value in node.values():
            _fix_nullable_refs(value)
    elif isinstance(node, list):
        for value in node:
            _fix_nullable_refs(value)


def postprocess(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    for path, methods in result["paths"].items():
        for method, operation in methods.items():
            _document_operation(path, method, operation)
    components = result.setdefault("components", {})
    components["headers"] = {name.replace("-", ""): spec for name, spec in _HEADERS.items()}
    _fix_nullable_refs(components.get("schemas", {}))
    return result
