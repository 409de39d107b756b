"""The links in emails answer on the gateway of `make run` (they were 404): the verification link
from the mail folder shows a page on GET and changes nothing; the page's form POST verifies.
The other link paths reach their services' pages too.

The same embedded stack (starting one is costly) also carries a deactivation from auth through
the embedded event log to another service, which refuses the still-valid token."""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from harness import (
    PYTHON,
    ROOT,
    SERVICES,
    Stack,
    base_env,
    register_and_login,
    wait_for,
    whoami,
)

LINK = re.compile(r"https?://[^/\s]+(/verify-email\?lang=\w+&token=[^\s\"<]+)")


@pytest.fixture(scope="module")
def embedded_stack() -> Iterator[Stack]:
    var_dir = ROOT / "var" / "e2e-links"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    env = base_env(var_dir, embedded=True)
    env["AUTH_RATE_LIMIT"] = "120r/m"
    env["AUTH_THROTTLE_ENABLED"] = "false"
    # `make run` as it is, but only auth's Celery worker (it sends the mail): the machine is small.
    skip = [f"{service}:worker" for service in SERVICES if service != "auth"]
    skip += [f"{service}:events" for service in SERVICES if service not in ("auth", "social")]
    stack = Stack(
        name="links",
        gateway_port=int(os.environ.get("E2E_EMBEDDED_GATEWAY_PORT", "58180")),
        service_port_base=int(os.environ.get("E2E_EMBEDDED_SERVICE_PORT_BASE", "58110")),
        env=env,
        extra_args=[arg for name in skip for arg in ("--skip", name)],
    )
    yield stack
    stack.stop()


def mailed_link(mail_dir: Path, address: str) -> str | None:
    """The verification link in the mail to `address` (Django's file backend, one file per
    connection), as a path and query for the gateway."""
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.is_dir() else []:
        for raw in re.split(rb"\n-{79}\n", path.read_bytes()):
            message = email.message_from_bytes(raw.strip())
            if address not in str(message.get("To", "")):
                continue
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode(
                        part.get_content_charset() or "utf-8"
                    )
                    found = LINK.search(text)
                    if found:
                        return found[1]
    return None


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_the_verification_link_shows_a_page_and_only_its_post_verifies(
    embedded_stack: Stack,
) -> None:
    gateway = embedded_stack.url
    account = register_and_login(gateway)
    address = account["user"]["email"]
    me = {"Authorization": f"Bearer {account['access']}"}
    mail_dir = embedded_stack.var_dir / "mail" / "auth"
    link = wait_for(
        lambda: mailed_link(mail_dir, address), timeout=90, what="the verification mail"
    )
    assert link.startswith("/verify-email?lang=en&token=")

    browser = requests.Session()
    page = browser.get(f"{gateway}{link}", timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["Content-Type"].startswith("text/html")
    assert address in page.text and "<form" in page.text
    # A mail scanner's prefetch (or the person only looking) changes nothing.
    again = requests.get(f"{gateway}{link}", timeout=30)
    assert again.status_code == 200
    state = requests.get(f"{gateway}/api/auth/me/", headers=me, timeout=30).json()
    assert state["email_verified"] is False

    # A POST without the page's CSRF token is refused; the form's POST verifies.
    assert requests.post(f"{gateway}{link}", data={"token": "x"}, timeout=30).status_code == 403
    done = browser.post(f"{gateway}{link}", data=form_fields(page.text), timeout=30)
    assert done.status_code == 200, done.text[:500]
    assert "confirmed" in done.text
    state = requests.get(f"{gateway}/api/auth/me/", headers=me, timeout=30).json()
    assert state["email_verified"] is True


@pytest.mark.parametrize("path", ["/reset-password", "/restore-email", "/unsubscribe"])
def test_the_other_link_paths_reach_their_pages(embedded_stack: Stack, path: str) -> None:
    response = requests.get(
        f"{embedded_stack.url}{path}",
        params={"token": "forged", "lang": "uk"},
        timeout=30,
    )
    # The service's own page saying the link is bad, not the gateway's JSON 404.
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<html lang="uk">' in response.text


def set_active(stack: Stack, username: str, *, active: bool) -> None:
    """What Django admin's `is_active` checkbox calls (the admin form itself has unit tests)."""
    code = (
        "from auth.accounts import services; from auth.accounts.models import User; "
        f"user = User.objects.get(username={username!r}); "
        f"services.set_account_active(actor=None, user_id=user.id, active={active})"
    )
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT / "auth-service",
        env=stack.env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_a_deactivated_accounts_token_is_refused_by_another_service_until_reactivated(
    embedded_stack: Stack,
) -> None:
    gateway = embedded_stack.url
    account = register_and_login(gateway)
    token, username = account["access"], account["user"]["username"]
    assert whoami(gateway, "social", token).status_code == 200

    set_active(embedded_stack, username, active=False)
    # (A Response is falsy for a 4xx: wait for its body.)
    refused = wait_for(
        lambda: (r := whoami(gateway, "social", token)).status_code == 403 and r.json(),
        timeout=90,
        what="social refusing the deactivated account's token",
    )
    assert refused["code"] == "user_inactive"
    login = requests.post(
        f"{gateway}/api/auth/login/",
        json={"login": username, "password": account["password"]},
        timeout=30,
    )
    assert (login.status_code, login.json()["code"]) == (403, "user_inactive")

    set_active(embedded_stack, username, active=True)
    wait_for(
        lambda: whoami(gateway, "social", token).status_code == 200,
        timeout=90,
        what="social accepting the reactivated account's token again",
    )
