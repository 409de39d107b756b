"""The unsubscribe page at /unsubscribe (the link in every notification email): a GET shows a
form and changes nothing; the form's CSRF-protected POST switches the emails off."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from notifications.inbox import services
from notifications.inbox.models import Recipient

pytestmark = pytest.mark.django_db

PAGE = "/unsubscribe"


def form_fields(content: bytes) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', content.decode()))


def test_get_shows_a_form_and_changes_nothing_the_post_unsubscribes(announce):
    person = announce()
    token = services.unsubscribe_token(user_id=person.id)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(PAGE, {"token": token, "lang": "en"})
    assert page.status_code == 200
    assert b"Stop all CoTask notification emails" in page.content
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"
    assert Recipient.objects.get(id=person.id).email_frequency != "off"  # a prefetch did nothing

    fields = form_fields(page.content)
    assert set(fields) == {"csrfmiddlewaretoken", "token", "lang"}
    done = browser.post(f"{PAGE}?token={token}&lang=en", fields)
    assert done.status_code == 200
    assert b"no more notification emails" in done.content
    assert Recipient.objects.get(id=person.id).email_frequency == "off"


def test_a_post_without_the_csrf_token_is_refused(announce):
    person = announce()
    token = services.unsubscribe_token(user_id=person.id)
    response = Client(enforce_csrf_checks=True).post(PAGE, {"token": token})
    assert response.status_code == 403
    assert Recipient.objects.get(id=person.id).email_frequency != "off"


@pytest.mark.parametrize(
    ("language", "header", "words"),
    [
        ("ru", "", "Отписаться"),
        ("uk", "", "Відписатися"),
        ("", "uk-UA,uk;q=0.9", "Відписатися"),
        ("", "ru", "Отписаться"),
        ("", "de", "Unsubscribe"),
    ],
)
def test_the_page_speaks_the_links_or_the_browsers_language(announce, language, header, words):
    token = services.unsubscribe_token(user_id=announce().id, type="comment")
    page = Client().get(PAGE, {"token": token, "lang": language}, HTTP_ACCEPT_LANGUAGE=header)
    assert words in page.content.decode()
    assert "(comment)" in page.content.decode()


def test_a_bad_link_says_so(announce):
    page = Client().get(PAGE, {"token": "forged", "lang": "uk"})
    assert page.status_code == 400
    assert "недійсне" in page.content.decode()
