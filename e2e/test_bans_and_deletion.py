"""Bans and deletions reach every service over real Kafka (issue: auth-service)."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta

import requests
from harness import ROOT, SERVICES, register_and_login, wait_for, whoami


def _make_admin(gateway: str, stack_env: dict[str, str]) -> str:
    account = register_and_login(gateway)
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "manage.py",
            "set_role",
            account["user"]["username"],
            "admin",
        ],
        cwd=ROOT / "auth-service",
        env=stack_env,
        check=True,
        capture_output=True,
    )
    login = requests.post(
        f"{gateway}/api/auth/login/",
        json={"login": account["user"]["username"], "password": account["password"]},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    return login.json()["access"]


def test_a_ban_refuses_old_tokens_everywhere_within_5_seconds_and_lifts_by_itself(
    gateway: str, stack_env: dict[str, str]
) -> None:
    admin = _make_admin(gateway, stack_env)
    victim = register_and_login(gateway)
    for service in SERVICES:
        assert whoami(gateway, service, victim["access"]).status_code == 200

    until = datetime.now(tz=UTC) + timedelta(seconds=15)
    banned = requests.post(
        f"{gateway}/api/auth/users/{victim['user']['id']}/ban/",
        json={"reason": "spam", "until": until.isoformat()},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    assert banned.status_code == 200, banned.text
    started = time.monotonic()

    refused_after: dict[str, float] = {}

    def everyone_refuses() -> bool:
        for service in SERVICES:
            if service in refused_after:
                continue
            response = whoami(gateway, service, victim["access"])
            if response.status_code == 403 and response.json()["code"] == "user_banned":
                refused_after[service] = time.monotonic() - started
        return len(refused_after) == len(SERVICES)

    wait_for(everyone_refuses, timeout=10, interval=0.1, what="the ban in every service")
    assert max(refused_after.values()) <= 5.0, refused_after

    login = requests.post(
        f"{gateway}/api/auth/login/",
        json={"login": victim["user"]["username"], "password": victim["password"]},
        timeout=30,
    )
    assert login.status_code == 403
    assert login.json()["code"] == "user_banned"
    assert "spam" in login.json()["message"]

    # The ban ends by itself at `until`: a new login then works everywhere.
    time.sleep(max(0.0, (until - datetime.now(tz=UTC)).total_seconds()) + 0.5)
    again = requests.post(
        f"{gateway}/api/auth/login/",
        json={"login": victim["user"]["username"], "password": victim["password"]},
        timeout=30,
    )
    assert again.status_code == 200, again.text
    for service in SERVICES:
        response = whoami(gateway, service, again.json()["access"])
        assert response.status_code == 200, (service, response.text)


def _personal_page(gateway: str, token: str) -> dict | None:
    response = requests.get(
        f"{gateway}/api/social/me/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    return response.json().get("personal_page") if response.status_code == 200 else None


def test_a_deleted_account_is_gone_from_every_service(gateway: str) -> None:
    account = register_and_login(gateway)
    reader = register_and_login(gateway)
    wait_for(
        lambda: all(
            whoami(gateway, service, account["access"]).json()["known_locally"]
            for service in SERVICES
        ),
        timeout=60,
        what="the account in every service",
    )
    page = wait_for(
        lambda: _personal_page(gateway, account["access"]), timeout=30, what="the personal page"
    )
    posted = requests.post(
        f"{gateway}/api/social/pages/{page['id']}/posts/",
        json={"text": "my personal thoughts"},
        headers={"Authorization": f"Bearer {account['access']}"},
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    post_url = f"{gateway}/api/social/posts/{posted.json()['id']}/"
    as_reader = {"Authorization": f"Bearer {reader['access']}"}
    assert requests.get(post_url, headers=as_reader, timeout=30).status_code == 200
    deleted = requests.post(
        f"{gateway}/api/auth/me/delete/",
        json={"password": account["password"]},
        headers={"Authorization": f"Bearer {account['access']}"},
        timeout=30,
    )
    assert deleted.status_code in (200, 204), deleted.text

    # auth's account endpoints refuse at once; every service's shared `whoami` (auth's other
    # worker processes included) within its 2 s snapshot of restricted users.
    def refused_everywhere() -> bool:
        return all(
            whoami(gateway, service, account["access"]).status_code == 401 for service in SERVICES
        )

    wait_for(refused_everywhere, timeout=30, interval=0.2, what="the deletion in every service")
    # That poll reached one worker process per service; a service's other workers see the same
    # projection and re-read it within their snapshot's TTL (COTASK_BLOCKLIST_TTL_SECONDS, 2 s).
    time.sleep(3)
    for service in SERVICES:
        response = whoami(gateway, service, account["access"])
        assert response.status_code == 401
        assert response.json()["code"] in ("user_deleted", "session_revoked"), service
    login = requests.post(
        f"{gateway}/api/auth/login/",
        json={"login": account["user"]["username"], "password": account["password"]},
        timeout=30,
    )
    assert login.status_code == 401
    # social-service no longer serves the person's page or posts to anyone.
    page_url = f"{gateway}/api/social/pages/{page['id']}/"
    wait_for(
        lambda: requests.get(page_url, headers=as_reader, timeout=30).status_code == 404,
        timeout=30,
        what="the personal page gone",
    )
    assert requests.get(post_url, headers=as_reader, timeout=30).status_code == 404
