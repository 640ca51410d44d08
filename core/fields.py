"""Exact unsigned 256-bit integers (wei amounts, token ids, VRF request ids) on every database.

PostgreSQL stores them as numeric(78, 0). SQLite has no exact type for integers above 2**63
(its NUMERIC affinity turns them into floats), so there they are stored as 78-digit
zero-padded text, which keeps equality and ordering exact. Values are Python ints; do plain
comparisons in SQL, arithmetic in Python."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

UINT256_MAX = 2**256 - 1
_DIGITS = 78


class Uint256Field(models.Field):  # type: ignore[type-arg]
    description = "Unsigned 256-bit integer"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators.append(validators.MinValueValidator(0))
        self.validators.append(validators.MaxValueValidator(UINT256_MAX))

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "numeric(78, 0)" if connection.vendor == "postgresql" else f"varchar({_DIGITS})"

    def get_prep_value(self, value: Any) -> int | None:
        value = super().get_prep_value(value)
        return None if value is None else self.to_python(value)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        number = value if prepared else self.get_prep_value(value)
        if number is None or not isinstance(number, int):
            return number
        if connection.vendor == "postgresql":
            return Decimal(number)
        return f"{number:0{_DIGITS}d}"

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        return None if value is None else int(value)

    def to_python(self, value: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        try:
            number = int(Decimal(str(value)))
        except ArithmeticError as exc:
            raise ValidationError("Enter a whole number.") from exc
        if Decimal(str(value)) != number:
            raise ValidationError("Enter a whole number.")
        return number

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        defaults = {"form_class": forms.IntegerField, "min_value": 0, "max_value": UINT256_MAX}
        return super().formfield(**{**defaults, **kwargs})
