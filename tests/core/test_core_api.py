"""Cross-cutting behaviour: error bodies for unexpected failures, request ids, health, docs."""

import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urls


class ExplodingView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Any:
        raise RuntimeError("secret internal detail")


urlpatterns = [*project_urls, path("boom/", ExplodingView.as_view())]


@pytest.mark.urls("tests.core.test_core_api")
def test_unexpected_error_is_a_generic_500_logged_with_request_id(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = api.get("/boom/", HTTP_X_REQUEST_ID="req-12345678")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "secret internal detail" not in response.content.decode()
    assert response["X-Request-ID"] == "req-12345678"
    record = next(r for r in caplog.records if "Unhandled error" in r.getMessage())
    assert record.request_id == "req-12345678"  # type: ignore[attr-defined]
    assert "secret internal detail" in caplog.text  # the traceback is logged, not returned


def test_unknown_url_is_a_json_404(api: Any) -> None:
    response = api.get("/api/v1/nowhere/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_request_id_is_made_when_missing_or_unsafe(api: Any) -> None:
    response = api.get("/api/v1/health/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_health_reports_database(api: Any) -> None:
    response = api.get("/api/v1/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_health_reports_a_down_database_as_503(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("connection refused")

    monkeypatch.setattr("core.health.connection.cursor", broken_cursor)
    response = api.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "DatabaseError"}


def test_schema_validates_without_warnings() -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_schema_has_bearer_auth_and_error_responses(api: Any) -> None:
    schema = api.get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    me = schema["paths"]["/api/v1/auth/me/"]["get"]
    assert {"401", "403", "429"} <= set(me["responses"])
    assert me["security"] == [{"jwtAuth": []}]
    login = schema["paths"]["/api/v1/auth/login/"]["post"]
    assert login["security"] == []  # public: explicitly no credentials
    assert "401" not in schema["paths"]["/api/v1/health/"]["get"]["responses"]


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_local_assets(api: Any, page: str) -> None:
    response = api.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html
