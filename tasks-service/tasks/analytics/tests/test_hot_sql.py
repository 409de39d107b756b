"""The analytics reads' hand-written statement (`tasks.analytics.hot_sql`) gives what its ORM
twin (`selectors._read_orm`) gives, on the same generated history: a room's figures, its
members', and a person's across rooms, over periods that start mid-month, cross months and
years, or are one day (PostgreSQL: on SQLite the selectors run the twin)."""

from __future__ import annotations

import random
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.testing.parity import statements_on_postgresql
from cotask_common.users.models import UserRef
from tasks.analytics import answers, hot_sql, selectors
from tasks.analytics.models import FiguresVersion
from tasks.analytics.selectors import Period
from tasks.analytics.tests import test_history
from tasks.planning import pages
from tasks.rooms.models import RoomRole

_statements = statements_on_postgresql(hot_sql)


def _both(read: Any, **kwargs: Any) -> tuple[Any, Any]:
    hot_sql.ENABLED = True
    hot = read(**kwargs)
    hot_sql.ENABLED = False
    twin = read(**kwargs)
    hot_sql.ENABLED = True
    return hot, twin


@pytest.mark.django_db(transaction=True)
def test_the_statement_gives_the_twins_figures(
    make_user: Any, make_room: Any, join: Any, clock: Any, deliver: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(test_history, "CHANGES", 800)
    rng = random.Random(20261204)  # noqa: S311 - a reproducible history
    people = [make_user(username=f"h{i}") for i in range(5)]
    first = make_room(people[0], name="One")
    second = make_room(people[1], name="Two")
    for person in people[1:4]:
        join(first, person, RoomRole.MEMBER)
    for person in (people[0], people[2], people[4]):
        join(second, person, RoomRole.ADMIN if person == people[0] else RoomRole.MEMBER)
    rooms = [first, second]
    test_history._history(rng=rng, clock=clock, deliver=deliver, rooms=rooms, people=people)
    # A person in no room, and a member who never had a task: zeros both ways.
    loner = make_user(username="loner")
    join(first, make_user(username="idle"), RoomRole.VIEWER)

    today = clock.now.astimezone(UTC).date()
    periods = [
        Period(date(2025, 3, 1), min(today, date(2025, 3, 1) + timedelta(days=365))),
        Period(today - timedelta(days=29), today),
        Period(today.replace(day=1), today),
        Period(today - timedelta(days=40), today - timedelta(days=35)),
        Period(today, today),
    ]
    checked = 0
    for period in periods:
        for room in rooms:
            hot, twin = _both(
                selectors.room_figures, user=people[0], room_id=room.id, period=period
            )
            assert hot == twin, f"room {room.name} {period}"
            hot, twin = _both(
                selectors.member_figures, user=room.owner, room_id=room.id, period=period
            )
            assert hot == twin, f"members of {room.name} {period}"
            _spliced_as_rendered(room.id, period)
            checked += 1
        for person in [*people, loner]:
            user = UserRef.objects.get(id=person.id)
            hot, twin = _both(selectors.my_figures, user=user, period=period)
            assert hot == twin, f"{user.username} {period}"
    assert checked == len(periods) * len(rooms)
    # The history left figures to compare, today's overdue ones among them.
    year = selectors.room_figures(user=people[0], room_id=first.id, period=periods[0])
    assert year["created"] > 0 and year["completed"] > 0 and year["lead_time"]["count"] > 0
    assert any(day["overdue"] for day in year["days"])


def _spliced_as_rendered(room: Any, period: Period) -> None:
    """The cached answers' bytes (the statement's days spliced in as text) are what rendering
    the parsed answer gives, and the statement's stamp is the version and freshness the ORM
    reads give."""
    version = FiguresVersion.objects.filter(room_id=room).values_list("version", flat=True)
    stamp = hot_sql.Stamp(
        version.first() or 0, answers.fresh_until(rooms=[room], at=timezone.now())
    )
    members: dict[str, Any] = {"members": selectors.room_members(room=room)}
    reads: list[tuple[Any, dict[str, Any]]] = [
        (selectors.room_answer, {}),
        (selectors.members_answer, members),
    ]
    for read, kwargs in reads:
        text, text_stamp = read(room=room, period=period, raw=True, **kwargs)
        parsed, parsed_stamp = read(room=room, period=period, **kwargs)
        days = text["days"] if "days" in text else text["members"][0]["days"]
        assert isinstance(days, hot_sql.DaysJSON)
        assert answers.render(text) == pages.render(parsed), f"{read.__name__} {period}"
        assert text_stamp == parsed_stamp == stamp
