"""The gateway as a client meets it: routing, readiness, request ids, limits, docs."""

from __future__ import annotations

import http.client
import json
import uuid

import pytest
import requests
from harness import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_ready_through_the_gateway(gateway: str, service: str) -> None:
    response = requests.get(f"{gateway}/api/{service}/readyz", timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["service"] == service
    assert {name for name, check in body["checks"].items() if check["status"] == "ok"} >= {
        "database",
        "event_bus",
        "cache",
    }


def test_request_id_is_made_when_missing_and_kept_when_given(gateway: str) -> None:
    made = requests.get(f"{gateway}/api/social/healthz", timeout=10)
    assert len(made.headers["X-Request-ID"]) >= 16
    given = f"client-{uuid.uuid4().hex}"
    kept = requests.get(f"{gateway}/api/tasks/healthz", headers={"X-Request-ID": given}, timeout=10)
    assert kept.headers["X-Request-ID"] == given


def test_an_unknown_path_is_a_json_404(gateway: str) -> None:
    response = requests.get(f"{gateway}/api/habits/no-such-thing", timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_bodies_over_the_limit_are_refused_with_the_limit_named(gateway: str) -> None:
    too_big = b"x" * (26 * 1024 * 1024)
    response = requests.post(
        f"{gateway}/api/tasks/whoami",
        data=too_big,
        headers={"Content-Type": "application/octet-stream"},
        timeout=60,
    )
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert "25" in body["message"]


def test_login_is_rate_limited_per_address(gateway: str) -> None:
    # From a loopback address of its own, so the rest of the suite keeps its budget.
    port = int(gateway.rsplit(":", 1)[1])
    statuses = []
    for _ in range(80):
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=10, source_address=("127.0.0.77", 0)
        )
        connection.request(
            "POST",
            "/api/auth/login/",
            # No password: refused before any hashing, so the requests are quick and the
            # budget (120/min, burst 40 in this suite) runs out within the loop.
            body=json.dumps({"login": "nobody"}),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        statuses.append(response.status)
        if response.status == 429:
            body = json.loads(response.read())
            retry_after = response.getheader("Retry-After")
            connection.close()
            break
        response.read()
        connection.close()
    assert statuses[-1] == 429, statuses
    assert 400 in statuses  # requests inside the budget reached auth-service
    assert body["code"] == "rate_limited"
    assert retry_after is not None and int(retry_after) > 0


def test_docs_page_offers_all_six_schemas(gateway: str) -> None:
    page = requests.get(f"{gateway}/api/docs/", timeout=10)
    assert page.status_code == 200
    for service in SERVICES:
        assert f"/api/{service}/schema/" in page.text
        schema = requests.get(f"{gateway}/api/{service}/schema/?format=json", timeout=30)
        assert schema.status_code == 200, (service, schema.text[:200])
        assert f"/api/{service}/whoami" in schema.json()["paths"]
    # The Swagger UI bundle itself is served locally, not from a CDN.
    assert "cdn" not in page.text.lower()
    bundle = requests.get(
        f"{gateway}/static/auth/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        timeout=30,
    )
    assert bundle.status_code == 200


def test_each_admin_is_reachable(gateway: str) -> None:
    for service in SERVICES:
        response = requests.get(f"{gateway}/admin/{service}/login/", timeout=10)
        assert response.status_code == 200, service
        assert "csrfmiddlewaretoken" in response.text


def test_405_answers_name_the_allowed_methods(gateway: str) -> None:
    # A service's own 405 passes through with its Allow; the gateway's static files say theirs.
    service = requests.delete(f"{gateway}/api/media/purposes/", timeout=10)
    assert service.status_code == 405
    assert {m.strip() for m in service.headers["Allow"].split(",")} >= {"GET", "OPTIONS"}
    assert service.json()["code"] == "method_not_allowed"
    static = requests.post(f"{gateway}/api/docs/", timeout=10)
    assert static.status_code == 405
    assert static.headers["Allow"] == "GET, HEAD"
    assert static.json()["code"] == "method_not_allowed"
