from django.urls import path
from rest_framework.routers import SimpleRouter

from payments.api import views

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="order")
urlpatterns = [
    path("payments/stripe/webhook/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
    *router.urls,
]
