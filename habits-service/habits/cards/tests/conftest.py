"""The cast of the cards tests (owner, stranger, banned, anonymous; tokens with zone `ZONE`)
and helpers that make decks and notes through the API as a person would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone

from habits.tracking.tests import conftest as habits_conftest
from habits.tracking.tests.conftest import WHO, ZONE, Cast

# The same cast as the habits tests' (one definition, registered here as a fixture too).
cast = habits_conftest.cast
__all__ = ["NOW", "WHO", "ZONE", "Cast"]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # where `clock` starts


@pytest.fixture
def make_deck(cast: Cast) -> Callable[..., dict[str, Any]]:
    def factory(client: Any = None, **fields: Any) -> dict[str, Any]:
        response = (client or cast.owner).post(
            "/api/habits/cards/decks/", {"name": "Capitals", **fields}, format="json"
        )
        assert response.status_code == 201, response.json()
        return response.json()

    return factory


@pytest.fixture
def make_note(cast: Cast) -> Callable[..., dict[str, Any]]:
    def factory(deck: dict[str, Any], client: Any = None, **fields: Any) -> dict[str, Any]:
        body = {"deck": deck["id"], "front": "France", "back": "Paris", **fields}
        response = (client or cast.owner).post("/api/habits/cards/notes/", body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return factory


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`timezone.now()` frozen at `NOW`; a test moves it with `clock.now = ...`."""

    class Clock:
        now = NOW

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c
