from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

if TYPE_CHECKING:
    _Base = models.DecimalField[Decimal | int, Decimal]
else:
    _Base = models.DecimalField


class Uint256Field(_Base):
    """An unsigned 256-bit integer (token ids, wei): NUMERIC(78, 0), exact.

    SQLite's NUMERIC affinity turns integers above 2**63 into floats, so there the value is
    stored as its decimal text instead (equality lookups still work; ordering is textual)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_digits"] = 78
        kwargs["decimal_places"] = 0
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "Uint256Field"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "varchar(78)" if connection.vendor == "sqlite" else "numeric(78, 0)"

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if value is None or hasattr(value, "as_sql"):
            return value
        number = int(self.to_python(value))
        return str(number) if connection.vendor == "sqlite" else Decimal(number)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        return None if value is None else Decimal(value)
