"""The cast of the habits tests: the owner, a stranger, a banned person and an anonymous
caller, each with an API client whose token carries the zone `ZONE`; and `habit_data` /
`make_habit` to create habits through the API as a person would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from habits.tracking import evaluation

ZONE = "Europe/Kyiv"
WHO = ("owner", "stranger", "banned", "anonymous")


def today() -> date:
    return evaluation.today_in(evaluation.zone_named(ZONE))


def days_ago(n: int) -> date:
    return today() - timedelta(days=n)


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
def make_habit(cast: Cast) -> Callable[..., dict[str, Any]]:
    """`make_habit(client=None, **fields)`: POST a habit (daily, named "Read") → its JSON."""

    def factory(client: Any = None, **fields: Any) -> dict[str, Any]:
        response = (client or cast.owner).post(
            "/api/habits/habits/", {"name": "Read", **fields}, format="json"
        )
        assert response.status_code == 201, response.json()
        return response.json()

    return factory


@pytest.fixture
def warm() -> Callable[[], None]:
    """Refresh the kit's snapshot of restricted users, so a counted request does not pay it."""
    import uuid

    from cotask_common.users.selectors import restriction_for

    def refresh() -> None:
        restriction_for(user_id=uuid.uuid4())

    return refresh
