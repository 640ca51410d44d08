"""Request fields that take JSON types as the schema declares them.

The one input rule of the API (docs/CLIENTS.md): a field declared `integer` takes a JSON number
without a fraction, a field declared `string` takes a JSON string, nothing is coerced; and
every uint256 (token ids, wei amounts) is a decimal string, in requests and in responses.

DRF's stock fields coerce: a `CharField` accepts `12` or `1.5e38` and stores `"12"`, an
`IntegerField` accepts `"12"`. The OpenAPI schema promises clients (and validators) a string
or an integer, so input fields refuse the other JSON types instead of guessing."""

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import UINT256_MAX


class StringOnlyMixin:
    """For CharField and its subclasses (EmailField, RegexField...): only JSON strings."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(StringOnlyMixin, serializers.CharField):
    pass


class StrictEmailField(StringOnlyMixin, serializers.EmailField):
    pass


class StrictIntegerField(serializers.IntegerField):
    """Only JSON integers (not strings of digits, not booleans)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


UINT256_PATTERN = r"^(0|[1-9][0-9]{0,77})$"
_UINT256 = re.compile(UINT256_PATTERN)


@extend_schema_field(
    {
        "type": "string",
        "pattern": UINT256_PATTERN,
        "maxLength": 78,
        "example": "1152921504606846983",
        "description": "An unsigned integer up to 2^256-1 as a decimal string "
        "(JavaScript numbers lose precision past 2^53).",
    }
)
class Uint256StringField(serializers.Field):  # type: ignore[type-arg]
    """A uint256 (token id, wei amount) as a decimal string, in requests and in responses.

    Input takes only a JSON string of decimal digits (no sign, no leading zeros, no number):
    the same rule as every other field, and the one JavaScript clients can keep exact."""

    default_error_messages = {
        "invalid": 'Enter a whole number as a decimal string, e.g. "12".',
        "min_value": "Ensure this value is at least {min_value}.",
        "max_value": "Ensure this value is at most {max_value}.",
    }

    def __init__(self, *, min_value: int = 0, max_value: int = UINT256_MAX, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_value = min_value
        self.max_value = max_value

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not _UINT256.match(data):
            self.fail("invalid")
        number = int(data)
        if number < self.min_value:
            self.fail("min_value", min_value=self.min_value)
        if number > self.max_value:
            self.fail("max_value", max_value=self.max_value)
        return number

    def to_representation(self, value: Any) -> str:
        return str(int(value))
