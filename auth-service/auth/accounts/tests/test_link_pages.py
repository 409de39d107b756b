"""The pages behind the links in account emails (/verify-email, /reset-password, /restore-email):
a GET shows the page and changes nothing (mail scanners prefetch links); the page's
CSRF-protected form POSTs and completes the action, in the person's language."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.models import User
from auth.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def link_in(message, path: str) -> str:
    """The link's path and query, as the gateway would pass it on."""
    found = re.search(rf"https?://[^/\s]+(/{path}\?\S+)", message.body)
    assert found, message.body
    return found[1]


def form_fields(content: bytes) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', content.decode()))


def register(on_commit, **fields):
    payload = {"username": "ada", "email": "ada@example.com", "password": PASSWORD, **fields}
    with on_commit():
        response = APIClient().post("/api/auth/register/", payload, format="json")
    assert response.status_code == 201, response.json()
    return User.objects.get(id=response.json()["id"])


def test_the_verification_page_changes_nothing_until_its_form_is_posted(
    on_commit, mailoutbox, published_events
):
    user = register(on_commit)
    link = link_in(mailoutbox[0], "verify-email")
    assert link.startswith("/verify-email?lang=en&token=")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)
    assert page.status_code == 200
    assert b"ada@example.com" in page.content and b"<form" in page.content
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"
    assert not User.objects.get(id=user.id).email_verified
    assert published_events("auth.user.email_verified") == []

    # Without the CSRF token the POST is refused.
    assert Client(enforce_csrf_checks=True).post(link, {"token": "x"}).status_code == 403
    done = browser.post(link, form_fields(page.content))
    assert done.status_code == 200, done.content
    assert "is now confirmed" in done.content.decode()
    assert User.objects.get(id=user.id).email_verified
    assert len(published_events("auth.user.email_verified")) == 1


@pytest.mark.parametrize(
    ("language", "header", "words"),
    [
        ("uk", "", "Підтвердити"),
        ("ru", "", "Подтвердить"),
        ("en", "uk", "Підтвердити"),  # the browser's language, when the link names none
    ],
)
def test_the_pages_speak_the_persons_language(on_commit, mailoutbox, language, header, words):
    register(on_commit, language=language)
    link = link_in(mailoutbox[0], "verify-email")
    if header:
        link = link.replace("lang=en&", "")
    page = Client().get(link, HTTP_ACCEPT_LANGUAGE=header)
    assert words in page.content.decode()


def test_a_bad_link_shows_an_error_page():
    page = Client().get("/verify-email", {"token": "forged", "lang": "ru"})
    assert page.status_code == 400
    assert "недействительна" in page.content.decode()
    assert Client().get("/restore-email", {"token": "forged"}).status_code == 400
    assert Client().get("/reset-password", {"token": "forged"}).status_code == 400


def test_the_reset_page_sets_the_new_password_on_post(
    make_account, signed_in, on_commit, mailoutbox
):
    client = signed_in(make_account("ada", language="uk"))
    with on_commit():
        APIClient().post("/api/auth/password/reset/", {"email": "ada@example.com"}, format="json")
    link = link_in(mailoutbox[0], "reset-password")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)
    assert page.status_code == 200 and 'name="new_password"' in page.content.decode()
    assert User.objects.get(username="ada").check_password(PASSWORD)  # nothing changed yet

    weak = browser.post(link, {**form_fields(page.content), "new_password": "123"})
    assert weak.status_code == 400 and 'name="new_password"' in weak.content.decode()
    done = browser.post(link, {**form_fields(page.content), "new_password": "A-new-long-pass-77"})
    assert done.status_code == 200, done.content.decode()
    assert services.login(login="ada", password="A-new-long-pass-77")
    assert client.get("/api/auth/me/").status_code == 401  # every session ended
    # The link is spent.
    assert browser.get(link).status_code == 400


def test_the_restore_page_keeps_the_address_on_post(signed_in, on_commit, mailoutbox):
    client = signed_in(username="ada")
    with on_commit():
        client.patch(
            "/api/auth/me/",
            {"email": "ada@evil.example", "current_password": PASSWORD},
            format="json",
        )
    notice = next(m for m in mailoutbox if m.to == ["ada@example.com"])
    link = link_in(notice, "restore-email")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)
    assert page.status_code == 200 and b"ada@example.com" in page.content
    assert User.objects.get(id=client.user.id).pending_email == "ada@evil.example"
    with on_commit():
        done = browser.post(link, form_fields(page.content))
    assert done.status_code == 200, done.content.decode()
    user = User.objects.get(id=client.user.id)
    assert user.pending_email == "" and not user.has_usable_password()
