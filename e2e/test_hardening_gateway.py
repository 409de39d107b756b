"""Gateway hardening through nginx: unread bodies on kept-alive upstream connections."""

from __future__ import annotations

import pytest
import requests
from harness import SERVICES, register_and_login

# Roughly the image of the report: bigger than what gunicorn discards on its own (64 KiB).
UPLOAD = b"\x89PNG\r\n\x1a\n" + b"\0" * 1_000_000


def _refused_upload_path(service: str) -> str:
    return "/api/media/files/" if service == "media" else f"/api/{service}/whoami"


@pytest.mark.parametrize("service", SERVICES)
def test_a_refused_upload_does_not_break_the_next_request(gateway: str, service: str) -> None:
    """An anonymous ~1 MB upload (401) and then someone's request on the same gateway worker
    and the same kept-alive upstream connection: never 502."""
    account = register_and_login(gateway)
    auth = {"Authorization": f"Bearer {account['access']}"}
    path = _refused_upload_path(service)
    statuses = []
    with requests.Session() as session:  # one client connection: one nginx worker
        for _ in range(6):
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
