"""The "for you" feed end to end, through nginx: a reader follows a page about #python and a
friend, the friend likes a post, a mentor teaches Python, the reader posts a learning request →
the feed recommends the #python post, the post the friend liked and the mentor, each with its
reason (in the reader's language); a post the reader likes leaves it. On the real stack
(PostgreSQL, Kafka, Redis) and on `make run`'s embedded defaults (SQLite, the embedded event
log)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from harness import Stack, api_ok, bearer, call_api, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of

SOCIAL = "social"


def _person(gateway: str, language: str = "en") -> dict[str, Any]:
    """A new account whose personal page social-service already knows (over the event bus)."""
    account = register_and_login(gateway, language=language)

    def page() -> Any:
        r = call_api(gateway, account, "GET", f"{SOCIAL}/me/")
        return r.json()["personal_page"] if r.status_code == 200 else None

    account["handle"] = wait_for(page, timeout=60, interval=0.3, what="the personal page")["handle"]
    return account


def _for_you(gateway: str, account: dict[str, Any]) -> dict[str, list[str]]:
    """Recommended item id -> its reason codes (every page, following `next`)."""
    found: dict[str, list[str]] = {}
    url: str | None = f"{gateway}/api/{SOCIAL}/for-you/?page_size=5"
    while url:
        r = requests.get(url, headers=bearer(account), timeout=30)
        assert r.status_code == 200, r.text
        for item in r.json()["results"]:
            found[item[item["kind"]]["id"]] = [reason["code"] for reason in item["reasons"]]
        url = r.json()["next"]
    return found


def _journey(gateway: str) -> None:
    # The reader reads Ukrainian (the account's language, in the token).
    reader = _person(gateway, language="uk")
    friend, author, mentor, owner = (_person(gateway) for _ in range(4))
    anonymous = requests.get(f"{gateway}/api/{SOCIAL}/for-you/", timeout=30)
    assert anonymous.status_code == 401, anonymous.text
    assert _for_you(gateway, reader) == {}

    # The reader follows a page about #python and a friend.
    club = f"club_{uuid.uuid4().hex[:8]}"
    api_ok(gateway, owner, "POST", f"{SOCIAL}/pages/", handle=club, name="Club", tags=["python"])
    api_ok(gateway, reader, "POST", f"{SOCIAL}/pages/{club}/follow/")
    api_ok(gateway, reader, "POST", f"{SOCIAL}/pages/{friend['handle']}/follow/")

    # An author the reader does not follow posts about #python, and something the friend likes.
    posts = f"{SOCIAL}/pages/{author['handle']}/posts/"
    tagged = api_ok(gateway, author, "POST", posts, text="Generators, gently #python")["id"]
    liked = api_ok(gateway, author, "POST", posts, text="My first conference talk")["id"]
    api_ok(gateway, friend, "POST", f"{SOCIAL}/posts/{liked}/like/")

    # A mentor teaches Python; the reader asks for a Python mentor.
    mentor_id = api_ok(
        gateway, mentor, "PUT", f"{SOCIAL}/mentors/me/", subjects=["python"], languages=["en"]
    )["id"]
    api_ok(gateway, reader, "POST", f"{SOCIAL}/learning-requests/", subject="python", language="en")

    found = _for_you(gateway, reader)
    assert found[tagged] == ["followed_tag"], found
    assert found[liked] == ["popular_with_following"], found
    assert found[mentor_id] == ["matches_learning_request", "teaches_your_subject"], found
    kinds = call_api(
        gateway, reader, "GET", f"{SOCIAL}/for-you/?kind=mentors&page_size=100"
    ).json()["results"]
    # (On the real stack other tests' Python mentors are there too.)
    assert {item["kind"] for item in kinds} == {"mentor"}
    [ours] = [item for item in kinds if item["mentor"]["id"] == mentor_id]
    bad = call_api(gateway, reader, "GET", f"{SOCIAL}/for-you/?kind=people")
    assert bad.status_code == 400 and "kind" in bad.json()["fields"], bad.text

    # The reasons in the reader's language.
    texts = [reason["text"] for reason in ours["reasons"]]
    assert texts[0] == "Підходить до вашого запиту на навчання: Python", texts

    # A post the reader likes is theirs now: it leaves the recommendations.
    api_ok(gateway, reader, "POST", f"{SOCIAL}/posts/{tagged}/like/")
    assert tagged not in _for_you(gateway, reader)


def test_for_you_journey_on_the_real_stack(gateway: str) -> None:
    _journey(gateway)


@pytest.fixture(scope="module")
def embedded_gateway() -> Iterator[str]:
    """`make run`'s embedded defaults, without Celery workers: the journey needs none."""
    stack: Stack = embedded_stack_of("foryou", workers=False)
    yield stack.url
    stack.stop()


def test_for_you_journey_on_the_embedded_defaults(embedded_gateway: str) -> None:
    _journey(embedded_gateway)
