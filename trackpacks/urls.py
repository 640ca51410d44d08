from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from trackpacks.api import views

router = SimpleRouter()
router.register("songs", views.SongViewSet, basename="song")
router.register("batches", views.BatchViewSet, basename="batch")
router.register("packs", views.PackViewSet, basename="pack")
router.register("collection/withdrawals", views.WithdrawalViewSet, basename="withdrawal")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path("collection/", views.CollectionView.as_view(), name="collection"),
    path("collection/withdraw/", views.WithdrawView.as_view(), name="collection-withdraw"),
    path(
        "openings/<int:opening_id>/proof/",
        views.OpeningProofView.as_view(),
        name="opening-proof",
    ),
]
