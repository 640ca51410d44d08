"""List filters (django-filter): `?rarity=`, `?artist=`, `?on_sale=`, `?status=`...

Each works on the list selectors' `.values()` rows as well as on model querysets. Unknown
choices are a 400 with the shared error body, never silently ignored."""

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from trackpacks.models import Batch, ChainStatus, Custody, Pack, PackStatus, Rarity, Song


class StrictFilterSet(django_filters.FilterSet):
    """`?status=` with no value is a 400 like any value outside the schema; django-filter
    alone would ignore it and answer the whole list."""

    def is_valid(self) -> bool:
        empty = [name for name in self.filters if name in self.data and not self.data[name]]
        if empty:
            self.form.errors  # noqa: B018  (runs full_clean, so add_error can be used)
            for name in empty:
                self.form.add_error(name, "Give a value, or leave the parameter out.")
        return bool(super().is_valid())


class _WholeNumberField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if value not in self.empty_values and not (str(value).isascii() and str(value).isdigit()):
            raise forms.ValidationError("Enter a whole number.", code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    """An id: digits only (`1`, not `1.0` or `1e0`), as the schema's integer says."""

    field_class = _WholeNumberField


class SongFilter(StrictFilterSet):
    artist = django_filters.CharFilter(lookup_expr="iexact", help_text="Exact artist name.")
    rarity = django_filters.ChoiceFilter(choices=Rarity.choices)
    search = django_filters.CharFilter(
        method="filter_search", help_text="Words in the title or the artist's name."
    )

    class Meta:
        model = Song
        fields = ["artist", "rarity", "search"]

    def filter_search(self, rows: QuerySet[Any, Any], name: str, value: str) -> QuerySet[Any, Any]:
        for word in value.split()[:5]:
            rows = rows.filter(Q(title__icontains=word) | Q(artist__icontains=word))
        return rows


class BatchFilter(StrictFilterSet):
    on_sale = django_filters.BooleanFilter(
        method="filter_on_sale", help_text="Open for sale, on chain and not sold out."
    )

    class Meta:
        model = Batch
        fields = ["on_sale"]

    def filter_on_sale(
        self, rows: QuerySet[Any, Any], name: str, value: bool
    ) -> QuerySet[Any, Any]:
        on_sale = Q(sale_open=True, chain_status=ChainStatus.REGISTERED, available__gt=0)
        return rows.filter(on_sale) if value else rows.exclude(on_sale)


class PackFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=PackStatus.choices)
    custody = django_filters.ChoiceFilter(choices=Custody.choices)
    batch = IdFilter(field_name="batch_id", help_text="A batch id.")

    class Meta:
        model = Pack
        fields = ["status", "custody", "batch"]


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=field` or `?ordering=-field`, one of the view's `ordering_fields`; anything
    else is a 400 (DRF would silently ignore it), and the schema lists the choices."""

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        if raw not in _ordering_choices(view):
            raise ValidationError(
                {self.ordering_param: [f"Order by one of: {', '.join(_ordering_choices(view))}."]}
            )
        return [raw]

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["enum"] = _ordering_choices(view)
            parameter["description"] = "A field to sort by; `-field` sorts descending."
        return parameters


def _ordering_choices(view: Any) -> list[str]:
    fields = list(getattr(view, "ordering_fields", None) or [])
    return [*fields, *(f"-{field}" for field in fields)]
