"""People, rooms and tasks for the calendar feed tests (tasks made with the planning services,
so deadlines are stored exactly as the API stores them), and two independent parsers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import icalendar
import pytest
import vobject
from rest_framework.test import APIClient

from tasks.planning import services as planning
from tasks.planning.models import Task
from tasks.rooms.models import Membership, Room, RoomKind, RoomRole


@pytest.fixture(autouse=True)
def _no_fetch_limit(settings: Any) -> None:
    """The per-address fetch limit counts in the shared cache across runs; its own test sets it."""
    settings.TASKS_CALENDAR_FEED_RATE = ""


@pytest.fixture
def room_of(make_user: Callable[..., Any]) -> Callable[..., Room]:
    """`room_of(owner, *members, name=…)`: a team room with its owner and members."""

    def factory(owner: Any, *members: Any, name: str = "Launch") -> Room:
        room = Room.objects.create(owner=owner, name=name, kind=RoomKind.TEAM, join_code=None)
        Membership.objects.create(room=room, user=owner, role=RoomRole.OWNER)
        for member in members:
            Membership.objects.create(room=room, user=member, role=RoomRole.MEMBER)
        return room

    return factory


@pytest.fixture
def task_in() -> Callable[..., Task]:
    """`task_in(room, actor, title, due=…, assignees=[…], recurrence=…)` through create_task."""

    def factory(
        room: Room,
        actor: Any,
        title: str = "Task",
        *,
        due: date | datetime | None = None,
        assignees: list[Any] | None = None,
        **fields: Any,
    ) -> Task:
        return planning.create_task(
            actor=actor,
            room_id=room.id,
            title=title,
            due=due,
            assignee_ids=[user.id for user in (assignees or [])],
            **fields,
        )

    return factory


@pytest.fixture
def new_feed(client_for: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """`new_feed(user, room=None)`: the JSON of a feed made through the API (with its url)."""

    def factory(user: Any, room: Room | None = None) -> dict[str, Any]:
        body = {"room_id": str(room.id)} if room else {}
        response = client_for(user).post("/api/tasks/calendar/feeds/", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return factory


def path_of(feed: dict[str, Any]) -> str:
    return "/api/tasks/calendar/" + feed["url"].rsplit("/calendar/", 1)[1]


def fetch(feed: dict[str, Any], **headers: Any) -> Any:
    """The feed through its address, without any login."""
    return APIClient().get(path_of(feed), **headers)


def parse_both(body: bytes) -> tuple[Any, Any]:
    """The feed read by `icalendar` and by `vobject` (a second, independent parser)."""
    first = icalendar.Calendar.from_ical(body)
    second = vobject.readOne(body.decode())
    return first, second


def events_by_summary(calendar: Any) -> dict[str, Any]:
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def vevents_by_summary(calendar: Any) -> dict[str, Any]:
    return {event.summary.value: event for event in getattr(calendar, "vevent_list", [])}
