"""Gateway hardening through nginx: unread bodies on kept-alive upstream connections, the admin
login and token refresh buckets, secrets kept out of the access log, X-Forwarded-Proto kept."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from harness import SERVICES, Stack, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of

# Roughly the image of the report: bigger than what gunicorn discards on its own (64 KiB).
UPLOAD = b"\x89PNG\r\n\x1a\n" + b"\0" * 1_000_000


def _refused_upload_path(service: str) -> str:
    return "/api/media/files/" if service == "media" else f"/api/{service}/whoami"


@pytest.mark.parametrize("service", SERVICES)
def test_a_refused_upload_does_not_break_the_next_request(gateway: str, service: str) -> None:
    """An anonymous ~1 MB upload (401) and then someone's request on the same gateway worker
    and the same kept-alive upstream connection: never 502."""
    _refused_upload_then_next_request(gateway, service)


@pytest.fixture(scope="module")
def embedded_gateway() -> Iterator[str]:
    """`make run`'s embedded defaults (SQLite, the embedded event log), without Celery."""
    stack = embedded_stack_of("embedded-hardening", workers=False)
    yield stack.url
    stack.stop()


def test_a_refused_upload_does_not_break_the_next_one_in_make_run(embedded_gateway: str) -> None:
    _refused_upload_then_next_request(embedded_gateway, "media")


def _refused_upload_then_next_request(gateway: str, service: str) -> None:
    account = register_and_login(gateway)
    auth = {"Authorization": f"Bearer {account['access']}"}
    path = _refused_upload_path(service)
    statuses = []
    with requests.Session() as session:  # one client connection: one nginx worker
        # The race is tight (the next request against the server's close): several rounds.
        for _ in range(12):
            refused = session.post(
                f"{gateway}{path}",
                files={"file": ("x.png", UPLOAD, "image/png")},
                timeout=30,
            )
            # A POST: nginx does not retry it on another connection, so a closed one shows.
            after = session.post(
                f"{gateway}/api/{service}/whoami", json={}, headers=auth, timeout=30
            )
            statuses.append((refused.status_code, after.status_code))
    assert all(refused == 401 for refused, _ in statuses), statuses
    assert all(after not in (502, 503, 504) for _, after in statuses), statuses


def _from(gateway: str, address: str, method: str, path: str, body: dict | None = None):
    port = int(gateway.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(address, 0)
    )
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(
        method, path, body=json.dumps(body) if body is not None else None, headers=headers
    )
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data, response


def test_admin_logins_are_rate_limited(gateway: str) -> None:
    # Its own loopback address: the rest of the suite keeps its budget (120/min, burst 40).
    address = "127.0.0.81"
    statuses = []
    for _ in range(80):
        status, data, response = _from(
            gateway, address, "POST", "/admin/social/login/", {"username": "x", "password": "y"}
        )
        statuses.append(status)
        if status == 429:
            break
    assert statuses[-1] == 429, statuses
    assert json.loads(data)["code"] == "rate_limited"
    assert int(response.getheader("Retry-After")) > 0
    # One bucket for the six admins and their password changes, and the login form itself (a
    # GET) is not counted.
    assert _from(gateway, address, "POST", "/admin/auth/login/", {})[0] == 429
    assert _from(gateway, address, "POST", "/admin/tasks/password_change/", {})[0] == 429
    assert _from(gateway, address, "GET", "/admin/auth/login/")[0] == 200


def test_account_changes_are_rate_limited_but_reading_the_profile_is_not(gateway: str) -> None:
    account = register_and_login(gateway)
    address = "127.0.0.83"
    port = int(gateway.rsplit(":", 1)[1])

    def call(method: str, body: dict | None = None) -> int:
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=30, source_address=(address, 0)
        )
        headers = {"Authorization": f"Bearer {account['access']}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(
            method, "/api/auth/me/", body=json.dumps(body) if body else None, headers=headers
        )
        status = connection.getresponse().status
        connection.close()
        return status

    statuses = []
    for _ in range(80):
        statuses.append(call("PATCH", {"display_name": "Ada"}))
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and 200 in statuses, statuses
    assert call("GET") == 200


def test_token_refresh_has_its_own_larger_budget(gateway: str) -> None:
    account = register_and_login(gateway)
    address = "127.0.0.82"
    # The login budget of this address is spent ...
    for _ in range(80):
        if _from(gateway, address, "POST", "/api/auth/login/", {"login": "nobody"})[0] == 429:
            break
    else:
        pytest.fail("the login budget never ran out")
    # ... and refreshing from it still works, far beyond the login budget (120/min, burst 40).
    refresh = account["refresh"]
    for attempt in range(70):
        status, data, _ = _from(
            gateway, address, "POST", "/api/auth/token/refresh/", {"refresh": refresh}
        )
        assert status == 200, (attempt, status, data[:200])
        refresh = json.loads(data)["refresh"]


def _access_log(stack: Stack) -> Path:
    return stack.var_dir / "nginx" / stack.name / "access.log"


def test_the_access_log_masks_signatures_and_tokens(gateway: str, stack: Stack) -> None:
    secrets = {name: f"{name}-{uuid.uuid4().hex}" for name in ("sig", "tok", "path", "ref")}
    request_id = f"mask-{uuid.uuid4().hex}"
    headers = {
        "X-Request-ID": request_id,
        "Referer": f"{gateway}/unsubscribe?token={secrets['ref']}",
    }
    requests.get(
        f"{gateway}/api/media/objects/x.png?expires=1&signature={secrets['sig']}",
        headers=headers,
        timeout=10,
    )
    requests.get(
        f"{gateway}/api/notifications/unsubscribe/?token={secrets['tok']}&type=like",
        headers=headers,
        timeout=10,
    )
    requests.post(
        f"{gateway}/api/notifications/unsubscribe/{secrets['path']}/", headers=headers, timeout=10
    )
    log = _access_log(stack)

    def ours() -> list[dict]:
        return [
            json.loads(line)
            for line in log.read_text(errors="replace").splitlines()
            if request_id in line
        ]

    records = wait_for(lambda: len(ours()) == 3 and ours(), timeout=10, what="three log lines")
    text = log.read_text(errors="replace")
    for secret in secrets.values():
        assert secret not in text
    queries = [record["query"] for record in records]
    assert "expires=1&signature=[masked]" in queries
    assert "token=[masked]&type=like" in queries
    assert "/api/notifications/unsubscribe/[masked]/" in [record["path"] for record in records]
    assert all(record["referer"] == f"{gateway}/unsubscribe" for record in records)


def test_x_forwarded_proto_of_an_outer_proxy_is_kept(gateway: str) -> None:
    account = register_and_login(gateway)
    auth = {"Authorization": f"Bearer {account['access']}"}
    for service in ("auth", "notifications"):  # gunicorn and uvicorn
        plain = requests.get(f"{gateway}/api/{service}/whoami", headers=auth, timeout=10)
        assert plain.json()["secure"] is False
        behind_tls = requests.get(
            f"{gateway}/api/{service}/whoami",
            headers={**auth, "X-Forwarded-Proto": "https"},
            timeout=10,
        )
        assert behind_tls.json()["secure"] is True, service
        bogus = requests.get(
            f"{gateway}/api/{service}/whoami",
            headers={**auth, "X-Forwarded-Proto": "https, http"},
            timeout=10,
        )
        assert bogus.json()["secure"] is False
