from django.urls import path

from ipfs.views import gateway_view

urlpatterns = [
    path("<str:cid>", gateway_view, name="ipfs-gateway"),
    path("<str:cid>/", gateway_view, name="ipfs-gateway-directory"),
    path("<str:cid>/<path:path>", gateway_view, name="ipfs-gateway-path"),
]
