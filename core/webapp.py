"""Serves the reference fan app (web/, built by `make web`) at /app/.

Hashed assets are served as files with a long cache life; every other path gets index.html
(the app routes on the URL hash), never cached, so a new build is picked up at once."""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET
from django.views.static import serve

ONE_YEAR = 365 * 24 * 3600


def _dist() -> Path:
    return Path(settings.WEB_DIST_DIR)


@require_GET
def web_app(request: HttpRequest, path: str = "") -> HttpResponseBase:
    dist = _dist()
    index = dist / "index.html"
    if not index.is_file():
        return HttpResponse(
            "The fan app is not built yet: run `make web` (make run does it).",
            status=503,
            content_type="text/plain",
            headers={"Retry-After": "30"},
        )
    if path.startswith("assets/"):
        response: HttpResponseBase = serve(request, path, document_root=str(dist))
        response["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response
    response = FileResponse(index.open("rb"), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
