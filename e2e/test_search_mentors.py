"""Search end to end, through nginx: a mentor sets up a profile with a Ukrainian bio and posts a
lesson note with a tag → a student finds the mentor by subject, language and rating with another
form of a bio word, the post by its text and its tag, and gets a 400 naming a bad filter. On the
real stack (PostgreSQL full text) and on `make run`'s embedded defaults (SQLite containment)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from harness import Stack, api_ok, call_api, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of

CYRILLIC = "бвгдклмнпрстфхчш"


def _search(gateway: str, account: dict, **params: str) -> dict:
    return api_ok(gateway, account, "GET", f"social/search/?{urlencode(params)}")


def _journey(gateway: str) -> None:
    # A word of our own (a Cyrillic root nobody else uses), so other tests' mentors do not match.
    root = "".join(secrets.choice(CYRILLIC) + "о" for _ in range(4))
    mentor, student = register_and_login(gateway), register_and_login(gateway)
    profile = api_ok(
        gateway,
        mentor,
        "PUT",
        "social/mentors/me/",
        subjects=["python", "mathematics"],
        languages=["uk", "en"],
        bio=f"Навчаю {root}а та програмування",
    )
    tag = f"t{secrets.token_hex(4)}"
    api_ok(
        gateway,
        mentor,
        "POST",
        f"social/pages/{profile['page']['id']}/posts/",
        text=f"Урок про {root}у #{tag}",
    )

    # Subject, language and rating filters with another form of the bio's word.
    found = _search(gateway, student, q=f"{root}у", subject="python", language="uk", min_rating="0")
    assert [m["id"] for m in found["results"]] == [profile["id"]], found
    # A filter alone is a mentor search; a filter the mentor fails leaves them out.
    assert _search(gateway, student, q=f"{root}и", subject="physics")["results"] == []
    assert _search(gateway, student, q=f"{root}и", language="de")["results"] == []

    def post_found() -> list:
        return _search(gateway, student, type="posts", q=f"{root}ою")["results"] or None

    [post] = wait_for(post_found, timeout=30, what="the post in search")
    assert f"#{tag}" in post["text"]
    by_tag = _search(gateway, student, type="posts", q=f"#{tag}")["results"]
    assert [p["id"] for p in by_tag] == [post["id"]]
    assert _search(gateway, student, type="tags", q=tag)["results"] == [{"tag": tag, "posts": 1}]

    bad = call_api(gateway, student, "GET", "social/search/?subject=python&min_rating=6")
    assert bad.status_code == 400 and "min_rating" in bad.json()["fields"], bad.text


def test_search_journey_on_the_real_stack(gateway: str) -> None:
    _journey(gateway)


@pytest.fixture(scope="module")
def embedded_gateway() -> Iterator[str]:
    """`make run`'s embedded defaults, without Celery workers: the journey needs none."""
    stack: Stack = embedded_stack_of("search", workers=False)
    yield stack.url
    stack.stop()


def test_search_journey_on_the_embedded_defaults(embedded_gateway: str) -> None:
    _journey(embedded_gateway)
