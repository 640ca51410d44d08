from rest_framework.routers import SimpleRouter

from payments.api import views

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="order")
urlpatterns = router.urls
