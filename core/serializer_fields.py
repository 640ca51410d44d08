"""Request fields that take JSON types as the schema declares them.

DRF's stock fields coerce: a `CharField` accepts `12` or `1.5e38` and stores `"12"`, an
`IntegerField` accepts `"12"`. The OpenAPI schema promises clients (and validators) a string
or an integer, so input fields refuse the other JSON types instead of guessing."""

from typing import Any

from rest_framework import serializers


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
