from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.errors import api_fallback
from core.metrics import metrics_view
from core.views import ConfigView, HealthView, OfflineRedocView
from core.webapp import web_app
from trackpacks.api.views import metadata_view

api_v1: list[URLPattern | URLResolver] = [
    path("health/", HealthView.as_view(), name="health"),
    path("config/", ConfigView.as_view(), name="config"),
    path("auth/", include("accounts.urls")),
    path("", include("trackpacks.urls")),
    path("", include("payments.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("metadata/<str:token_hex>.json", metadata_view, name="token-metadata"),
    path("ipfs/", include("ipfs.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", OfflineRedocView.as_view(url_name="schema"), name="redoc"),
    re_path(r"^app/(?P<path>.*)$", web_app, name="web-app"),
    # Last: JSON for every other path under /api/ (404, or 308 to the slashed path).
    re_path(r"^api(?:/.*)?$", api_fallback, name="api-fallback"),
]

handler404 = "core.errors.json_404"
handler500 = "core.errors.json_500"
