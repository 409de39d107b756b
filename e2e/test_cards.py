"""Cards end to end, through nginx: a person creates a deck, adds a cloze note (two cards),
studies today's queue, sees the forecast and retention change, publishes the deck; another
person finds it, copies it and studies their own copy, which leaves the author's cards alone.

Runs on the real stack (PostgreSQL, Kafka, Redis) and on `make run`'s embedded defaults
(SQLite, the embedded event log), where the queue's window ranking and the grouped statistics
run on SQLite.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from harness import Stack, api_ok, call_api, new_username, register_and_login
from harness import embedded_stack as embedded_stack_of


def register(base: str) -> dict[str, Any]:
    """A person whose account's zone is Europe/Kyiv (so their token's `tz` claim is too)."""
    return register_and_login(base, username=new_username("cards"), time_zone="Europe/Kyiv")


def call(
    base: str, account: dict[str, Any], method: str, path: str, **body: Any
) -> requests.Response:
    return call_api(base, account, method, f"habits/cards/{path}", **body)


def api(base: str, account: dict[str, Any], method: str, path: str, **body: Any) -> Any:
    return api_ok(base, account, method, f"habits/cards/{path}", **body)


def study(base: str, account: dict[str, Any], rating: str = "easy") -> int:
    """Answer today's queue until it is empty; returns how many answers it took."""
    for answered in range(20):
        queue = api(base, account, "GET", "queue/")
        if not queue["cards"]:
            return answered
        card = queue["cards"][0]
        assert card["question_html"]
        api(base, account, "POST", f"cards/{card['id']}/answer/", rating=rating, duration_ms=3000)
    raise AssertionError("the queue never emptied")


def journey(base: str) -> None:
    author, reader = register(base), register(base)
    tag = f"t{uuid.uuid4().hex[:8]}"
    deck = api(base, author, "POST", "decks/", name="Rivers of Ukraine", tags=[tag])
    bad = call(base, author, "POST", "notes/", deck=deck["id"], kind="cloze", text="no cloze")
    assert bad.status_code == 400 and "text" in bad.json()["fields"]
    note = api(
        base,
        author,
        "POST",
        "notes/",
        deck=deck["id"],
        kind="cloze",
        text="{{c1::Kyiv}} stands on the {{c2::Dnipro::river}}",
    )
    assert sorted(c["ordinal"] for c in note["cards"]) == [1, 2]
    # Private: the reader gets the 404 of a missing deck.
    assert call(base, reader, "GET", f"decks/{deck['id']}/").status_code == 404

    before = api(base, author, "GET", "stats/")
    assert sum(d["reviews"] for d in before["forecast"]) == 0
    assert before["retention"]["month"]["retention"] is None
    queue = api(base, author, "GET", "queue/")
    assert queue["counts"] == {"new": 2, "learning": 0, "review": 0}
    assert "[river]" in next(c for c in queue["cards"] if c["ordinal"] == 2)["question_html"]

    assert study(base, author) == 2
    assert api(base, author, "GET", "queue/")["counts"] == {"new": 0, "learning": 0, "review": 0}
    # One card asked again the same day: a review-state answer, so retention has a figure.
    card_id = note["cards"][0]["id"]
    api(base, author, "POST", f"cards/{card_id}/answer/", rating="good", duration_ms=1000)
    after = api(base, author, "GET", "stats/")
    assert sum(d["reviews"] for d in after["forecast"]) == 2
    assert after["retention"]["month"] == {"reviews": 1, "passed": 1, "retention": 1.0}
    assert after["cards_by_state"]["review"] == 2
    assert after["time_spent"]["day"]["reviews"] == 3

    api(base, author, "POST", f"decks/{deck['id']}/publish/", public=True)
    found = api(base, reader, "GET", f"public/?tag={tag}")["results"]
    assert [d["id"] for d in found] == [deck["id"]]
    copy = api(base, reader, "POST", f"public/{deck['id']}/copy/")
    assert copy["origin"] == deck["id"]
    assert api(base, reader, "GET", "queue/")["counts"]["new"] == 2
    assert study(base, reader, rating="easy") == 2
    mine = api(base, reader, "GET", "stats/")
    assert mine["cards_by_state"]["review"] == 2 and mine["time_spent"]["day"]["reviews"] == 2
    # The author's cards and log are untouched by the reader's study.
    assert api(base, author, "GET", "stats/")["time_spent"]["day"]["reviews"] == 3
    assert call(base, reader, "GET", f"cards/{card_id}/").status_code == 404


def test_cards_through_nginx_on_the_real_stack(gateway: str) -> None:
    journey(gateway)


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    stack = embedded_stack_of("cards", workers=False)
    yield stack
    stack.stop()


@pytest.mark.timeout(600)
def test_cards_on_the_embedded_make_run_stack(embedded: Stack) -> None:
    journey(embedded.url)
