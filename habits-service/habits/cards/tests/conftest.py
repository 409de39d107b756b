"""The cast of the cards tests (owner, stranger, banned, anonymous; tokens with zone `ZONE`)
and helpers that make decks and notes through the API as a person would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone

ZONE = "Europe/Kyiv"
WHO = ("owner", "stranger", "banned", "anonymous")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # where `clock` starts


@dataclass
class Cast:
    clients: dict[str, Any]
    users: dict[str, Any]

    @property
    def owner(self) -> Any:
        return self.clients["owner"]


@pytest.fixture
def cast(
    make_user: Callable[..., Any],
    client_for: Callable[..., Any],
    api_client: Any,
    trust_test_keys: Any,
) -> Cast:
    from cotask_common.users.selectors import invalidate_restrictions

    users = {name: make_user(username=name, time_zone=ZONE) for name in WHO if name != "anonymous"}
    clients = {name: client_for(user, tz=ZONE) for name, user in users.items()}
    type(users["banned"]).objects.filter(id=users["banned"].id).update(is_banned=True)
    invalidate_restrictions()
    clients["anonymous"] = api_client
    return Cast(clients=clients, users=users)


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
