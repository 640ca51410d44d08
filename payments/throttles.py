from rest_framework.throttling import UserRateThrottle


class OrderCreateThrottle(UserRateThrottle):
    """Order creation per user (scalping bots)."""

    scope = "order_create"
