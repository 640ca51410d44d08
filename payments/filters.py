"""`GET /orders/?status=&method=` (django-filter); unknown choices are a 400."""

import django_filters

from payments.models import Order, OrderStatus, PaymentMethod
from trackpacks.filters import StrictFilterSet


class OrderFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices)

    class Meta:
        model = Order
        fields = ["status", "method"]
