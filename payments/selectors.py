from django.db.models import QuerySet

from accounts.models import User
from payments.models import Order


def order_list(*, user: User) -> QuerySet[Order]:
    return Order.objects.filter(user=user).select_related("batch")
