"""The gateway as a client meets it: routing, readiness, request ids, limits, docs."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from harness import SERVICES, register_and_login, whoami


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


def test_a_long_query_is_refused_in_the_error_shape_by_the_service_or_the_gateway(
    gateway: str,
) -> None:
    """Past gunicorn's own 4 KB request line the service still answers (naming the parameter);
    past nginx's 8 KB the gateway does, as the documented 400 (not a 414 no document lists)."""
    token = register_and_login(gateway)["access"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{gateway}/api/habits/cards/public/"
    service = requests.get(url, params={"q": "x" * 5000}, headers=headers, timeout=10)
    assert service.status_code == 400, service.text
    assert "q" in service.json()["fields"]
    too_long = requests.get(url, params={"q": "x" * 9000}, headers=headers, timeout=10)
    assert too_long.status_code == 400, too_long.text
    assert too_long.json()["code"] == "uri_too_long"


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


_DRIVE_LOGIN = """
const { logIn } = require("./login.js");
(async () => {
  const [base, login, password] = process.argv.slice(2);
  const good = await logIn(login, password, { base });
  const bad = await logIn(login, password + "-wrong", { base });
  process.stdout.write(JSON.stringify({ good, bad }));
})();
"""


def test_the_docs_page_logs_in_once_for_every_service(gateway: str, tmp_path: Path) -> None:
    page = requests.get(f"{gateway}/api/docs/", timeout=10).text
    assert 'id="cotask-login"' in page and 'src="/api/docs/login.js"' in page
    assert "CotaskDocsLogin.attach(window.ui" in page
    script = requests.get(f"{gateway}/api/docs/login.js", timeout=10)
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert 'preauthorizeApiKey("jwtAuth"' in script.text
    # The token the form hands Swagger UI goes with "Try it out" in each document: the scheme
    # it authorizes is every document's one bearer scheme.
    for service in SERVICES:
        schema = requests.get(f"{gateway}/api/{service}/schema/?format=json", timeout=30).json()
        assert set(schema["components"]["securitySchemes"]) == {"jwtAuth"}, service
    if shutil.which("node") is None:
        pytest.fail("Node.js is needed to run the docs page's script (see the README)")
    # The page's own login code, as the gateway serves it, run by Node against the gateway.
    (tmp_path / "login.js").write_text(script.text)
    (tmp_path / "drive.js").write_text(_DRIVE_LOGIN)
    account = register_and_login(gateway)
    ran = subprocess.run(
        ["node", "drive.js", gateway, account["user"]["username"], account["password"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["good"]["ok"] is True and result["good"]["expiresIn"] > 0
    for service in SERVICES:
        assert whoami(gateway, service, result["good"]["access"]).status_code == 200, service
    assert result["bad"]["ok"] is False
    assert result["bad"]["message"] and "HTTP" not in result["bad"]["message"]  # the server's


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
