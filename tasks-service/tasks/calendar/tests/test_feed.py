"""The `.ics` feed: parsed by icalendar and by vobject, local times across daylight saving
changes, all-day and timed deadlines, recurrence, completed tasks, updates, caching, and the
one 404 for every address that shows nothing."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.calendar.models import CalendarFeed
from tasks.calendar.services import digest
from tasks.calendar.tests.conftest import (
    events_by_summary,
    fetch,
    parse_both,
    path_of,
    vevents_by_summary,
)
from tasks.planning import services as planning
from tasks.planning.models import Status, Task
from tasks.rooms import services as rooms

pytestmark = pytest.mark.django_db


def _sunday_on_or_after(day: date) -> date:
    return day + timedelta(days=(6 - day.weekday()) % 7)


def _next_year() -> int:
    return datetime.now(UTC).year + 1


def _kyiv_dst_day() -> date:
    """Summer time starts in Europe on the last Sunday of March (03:00 → 04:00 in Kyiv)."""
    return _sunday_on_or_after(date(_next_year(), 3, 25))


def _new_york_dst_day() -> date:
    """Daylight time starts in the US on the second Sunday of March."""
    return _sunday_on_or_after(date(_next_year(), 3, 8))


def _local(day: date, hour: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("zone", "dst_day"), [("Europe/Kyiv", _kyiv_dst_day), ("America/New_York", _new_york_dst_day)]
)
def test_timed_deadlines_show_the_local_time_across_a_dst_change(
    zone: str, dst_day: Callable[[], date], make_user, room_of, task_in, new_feed
) -> None:
    person = make_user(time_zone=zone)
    room = room_of(person)
    day = dst_day()
    before = _local(day - timedelta(days=1), 18, zone)  # winter offset
    after = _local(day + timedelta(days=1), 18, zone)  # summer offset
    assert before.utcoffset() != after.utcoffset()
    task_in(room, person, "Before", due=before.astimezone(UTC), assignees=[person])
    task_in(room, person, "After", due=after.astimezone(UTC), assignees=[person])

    response = fetch(new_feed(person))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content
    assert f"X-WR-TIMEZONE:{zone}".encode() in body
    first, second = parse_both(body)
    for name, expected in (("Before", before), ("After", after)):
        start = events_by_summary(first)[name].decoded("DTSTART")
        assert start == expected
        assert start.astimezone(ZoneInfo(zone)).time() == time(18, 0)
        other = vevents_by_summary(second)[name].dtstart.value
        assert other == expected
        assert other.astimezone(ZoneInfo(zone)).time() == time(18, 0)
        # The instant itself: 18:00 local is a different UTC hour on each side of the change.
        assert f"DTSTART:{expected.astimezone(UTC):%Y%m%dT%H%M%SZ}".encode() in body


def test_a_utc_person_gets_utc_times(make_user, room_of, task_in, new_feed) -> None:
    person = make_user()  # time_zone "UTC"
    due = datetime(_next_year(), 6, 1, 7, 30, tzinfo=UTC)
    task_in(room_of(person), person, "Standup", due=due, assignees=[person])

    body = fetch(new_feed(person)).content

    assert b"DTSTART:" + due.strftime("%Y%m%dT%H%M%SZ").encode() in body
    first, second = parse_both(body)
    assert events_by_summary(first)["Standup"].decoded("DTSTART") == due
    assert vevents_by_summary(second)["Standup"].dtstart.value == due


def test_all_day_deadlines_are_dates_and_timed_ones_instants(
    make_user, room_of, task_in, new_feed
) -> None:
    person = make_user(time_zone="Europe/Kyiv")
    room = room_of(person)
    day = date(_next_year(), 2, 14)
    task_in(room, person, "All day", due=day, assignees=[person])
    task_in(room, person, "Timed", due=_local(day, 9, "Europe/Kyiv"), assignees=[person])

    body = fetch(new_feed(person)).content

    assert f"DTSTART;VALUE=DATE:{day:%Y%m%d}".encode() in body
    first, second = parse_both(body)
    whole = events_by_summary(first)["All day"]
    assert whole.decoded("DTSTART") == day
    assert whole.decoded("DTEND") == day + timedelta(days=1)
    assert not isinstance(whole.decoded("DTSTART"), datetime)
    assert isinstance(events_by_summary(first)["Timed"].decoded("DTSTART"), datetime)
    other = vevents_by_summary(second)["All day"].dtstart.value
    assert other == day and not isinstance(other, datetime)


def test_every_event_has_a_stable_uid_dtstamp_and_sequence(
    make_user, room_of, task_in, new_feed
) -> None:
    person = make_user()
    room = room_of(person)
    task = task_in(room, person, "Ship", due=date(_next_year(), 1, 5), assignees=[person])
    feed = new_feed(person)
    first, _ = parse_both(fetch(feed).content)
    event = events_by_summary(first)["Ship"]
    assert str(event["UID"]) == f"{task.id}@tasks.cotask"
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert event.decoded("LAST-MODIFIED") == event.decoded("DTSTAMP")
    # SEQUENCE counts seconds: the edit below comes a few seconds after this.
    sequence = int(event["SEQUENCE"]) - 5
    Task.objects.filter(id=task.id).update(updated_at=task.updated_at - timedelta(seconds=5))

    planning.update_task(
        actor=person, task_id=task.id, title="Ship it", due=date(_next_year(), 1, 6)
    )

    again, second = parse_both(fetch(feed).content)
    changed = events_by_summary(again)["Ship it"]
    assert str(changed["UID"]) == f"{task.id}@tasks.cotask"
    assert changed.decoded("DTSTART") == date(_next_year(), 1, 6)
    assert int(changed["SEQUENCE"]) > sequence
    assert vevents_by_summary(second)["Ship it"].uid.value == f"{task.id}@tasks.cotask"


def test_recurring_tasks_carry_their_rule_and_keep_the_uid_of_the_series(
    make_user, room_of, task_in, new_feed
) -> None:
    person = make_user(time_zone="America/New_York")
    room = room_of(person)
    first_due = date(_next_year(), 1, 4)  # a Monday or not: the rule says which days
    task = task_in(
        room,
        person,
        "Weekly report",
        due=first_due,
        assignees=[person],
        recurrence="FREQ=WEEKLY;BYDAY=MO,WE",
    )
    feed = new_feed(person)

    first, second = parse_both(fetch(feed).content)
    event = events_by_summary(first)["Weekly report"]
    rule = event["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["MO", "WE"]
    # vobject expands the rule itself: Mondays and Wednesdays from the deadline on.
    occurrences = list(vevents_by_summary(second)["Weekly report"].getrruleset())[:4]
    assert all(day.weekday() in (0, 2) for day in occurrences[1:])
    uid = str(event["UID"])

    planning.update_task(actor=person, task_id=task.id, status=Status.COMPLETED)

    again, _ = parse_both(fetch(feed).content)
    events = again.walk("VEVENT")
    assert len(events) == 1  # the completed occurrence left, the next one came
    assert str(events[0]["UID"]) == uid
    assert events[0].decoded("DTSTART") > first_due
    assert events[0].decoded("DTSTART").weekday() in (0, 2)


def test_a_timed_recurring_task_repeats_in_utc_as_the_service_does(
    make_user, room_of, task_in, new_feed
) -> None:
    person = make_user(time_zone="Europe/Kyiv")
    due = datetime(_next_year(), 1, 11, 16, 0, tzinfo=UTC)
    task_in(room_of(person), person, "Daily", due=due, assignees=[person], recurrence="FREQ=DAILY")

    body = fetch(new_feed(person)).content

    assert b"DTSTART:" + due.strftime("%Y%m%dT%H%M%SZ").encode() in body
    first, second = parse_both(body)
    assert events_by_summary(first)["Daily"].decoded("DTSTART") == due
    assert str(first.walk("VEVENT")[0]["RRULE"].to_ical().decode()) == "FREQ=DAILY"
    assert list(vevents_by_summary(second)["Daily"].getrruleset())[1] == due + timedelta(days=1)


def test_completed_tasks_and_tasks_without_deadline_are_left_out(
    make_user, room_of, task_in, new_feed
) -> None:
    person = make_user()
    room = room_of(person)
    day = date(_next_year(), 3, 3)
    task_in(room, person, "Open", due=day, assignees=[person])
    task_in(room, person, "Done", due=day, assignees=[person], status=Status.COMPLETED)
    task_in(room, person, "Someday", assignees=[person])

    first, second = parse_both(fetch(new_feed(person)).content)

    assert set(events_by_summary(first)) == {"Open"}
    assert set(vevents_by_summary(second)) == {"Open"}


def test_my_feed_shows_my_assigned_tasks_across_rooms_and_my_personal_space(
    make_user, room_of, task_in, new_feed
) -> None:
    person, other = make_user(), make_user()
    day = date(_next_year(), 4, 1)
    one, two = room_of(person, other, name="One"), room_of(other, person, name="Two")
    task_in(one, person, "Mine in one", due=day, assignees=[person])
    task_in(two, other, "Mine in two", due=day, assignees=[person, other])
    task_in(two, other, "Theirs", due=day, assignees=[other])
    task_in(two, other, "Nobody's", due=day)
    space = rooms.personal_space_for(user=person)
    task_in(space, person, "Private", due=day)
    other_space = rooms.personal_space_for(user=other)
    task_in(other_space, other, "Their private", due=day)

    first, _ = parse_both(fetch(new_feed(person)).content)

    events = events_by_summary(first)
    assert set(events) == {"Mine in one", "Mine in two", "Private"}
    assert [str(c) for c in events["Mine in two"]["CATEGORIES"].cats] == ["Two"]


def test_a_room_feed_shows_the_room_s_open_tasks_with_deadlines(
    make_user, room_of, task_in, new_feed
) -> None:
    owner, member = make_user(), make_user()
    room = room_of(owner, member)
    elsewhere = room_of(owner, name="Elsewhere")
    day = date(_next_year(), 5, 5)
    task_in(room, owner, "Assigned to someone", due=day, assignees=[owner])
    task_in(room, owner, "Unassigned", due=day)
    task_in(elsewhere, owner, "Other room", due=day, assignees=[owner])

    first, second = parse_both(fetch(new_feed(member, room)).content)

    assert set(events_by_summary(first)) == {"Assigned to someone", "Unassigned"}
    assert str(first["X-WR-CALNAME"]) == "CoTask: Launch"
    assert second.x_wr_calname.value == "CoTask: Launch"


def test_the_room_feed_answers_404_once_its_owner_left_the_room(
    make_user, room_of, task_in, new_feed
) -> None:
    owner, member = make_user(), make_user()
    room = room_of(owner, member)
    task_in(room, owner, "Plan", due=date(_next_year(), 5, 5))
    feed = new_feed(member, room)
    assert fetch(feed).status_code == 200

    rooms.room_leave(user=member, room_id=room.id)

    gone = fetch(feed)
    assert gone.status_code == 404
    assert gone.json()["code"] == "calendar_feed_not_found"
    # A removed member's feed too.
    removed = make_user()
    from tasks.rooms.models import Membership

    Membership.objects.create(room=room, user=removed, role="member")
    feed = new_feed(removed, room)
    rooms.member_remove(user=owner, room_id=room.id, user_id=removed.id)
    assert fetch(feed).status_code == 404


def test_revoked_rotated_unknown_and_malformed_addresses_are_the_same_404(
    make_user, client_for, room_of, task_in, new_feed
) -> None:
    person = make_user()
    task_in(room_of(person), person, "Task", due=date(_next_year(), 1, 1), assignees=[person])
    revoked, rotated = new_feed(person), new_feed(person)
    owner = client_for(person)
    assert fetch(revoked).status_code == 200
    assert owner.delete(f"/api/tasks/calendar/feeds/{revoked['id']}/").status_code == 204
    fresh = owner.post(f"/api/tasks/calendar/feeds/{rotated['id']}/rotate/").json()
    assert fetch(fresh).status_code == 200

    answers = [
        fetch(revoked),
        fetch(rotated),
        fetch({"url": "http://x/api/tasks/calendar/" + secrets.token_urlsafe(32) + ".ics"}),
        fetch({"url": "http://x/api/tasks/calendar/not-a-token.ics"}),
        fetch({"url": "http://x/api/tasks/calendar/" + "a" * 500 + ".ics"}),
    ]
    assert [answer.status_code for answer in answers] == [404] * 5
    bodies = [{k: v for k, v in a.json().items() if k != "request_id"} for a in answers]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["code"] == "calendar_feed_not_found"


def test_a_banned_or_deleted_owner_s_feed_answers_404(
    make_user, room_of, task_in, new_feed
) -> None:
    banned, deleted = make_user(), make_user()
    feeds = [new_feed(banned), new_feed(deleted)]
    banned.is_banned = True
    banned.save(update_fields=["is_banned"])
    deleted.is_deleted = True
    deleted.save(update_fields=["is_deleted"])

    assert [fetch(feed).status_code for feed in feeds] == [404, 404]


def test_only_a_digest_of_the_secret_is_stored(make_user, new_feed) -> None:
    person = make_user()
    feed = new_feed(person)
    token = path_of(feed).rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) == 43
    row = CalendarFeed.objects.get(id=feed["id"])
    assert row.token_digest == digest(token) != token
    assert feed["webcal_url"].startswith("webcal://")
    assert feed["webcal_url"].endswith(path_of(feed))


def test_an_unchanged_feed_answers_304_to_its_etag_and_a_change_gives_a_new_one(
    make_user, room_of, task_in, new_feed
) -> None:
    person = make_user()
    room = room_of(person)
    task_in(room, person, "One", due=date(_next_year(), 1, 1), assignees=[person])
    feed = new_feed(person)
    first = fetch(feed)
    etag = first["ETag"]
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]

    unchanged = fetch(feed, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    task_in(room, person, "Two", due=date(_next_year(), 1, 2), assignees=[person])
    changed = fetch(feed, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert b"SUMMARY:Two" in changed.content


def test_a_feed_costs_the_same_queries_for_3_or_30_tasks(
    make_user, room_of, task_in, new_feed
) -> None:
    person, other = make_user(time_zone="Europe/Kyiv"), make_user()
    room, second_room = room_of(person, other), room_of(other, person, name="Second")
    space = rooms.personal_space_for(user=person)
    person_feed, room_feed = new_feed(person), new_feed(person, room)
    fetch(person_feed), fetch(room_feed)  # last_fetched_at: written on the first fetch

    def count(feed: dict[str, Any]) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = fetch(feed)
        assert response.status_code == 200
        return len(queries)

    def add(n: int) -> None:
        for i in range(n):
            base = datetime(_next_year(), 1, 1, 9, tzinfo=UTC) + timedelta(days=i)
            task_in(room, person, f"R{i}", due=base, assignees=[person], priority=3)
            task_in(second_room, other, f"S{i}", due=base.date(), assignees=[person, other])
            task_in(space, person, f"P{i}", due=base, recurrence="FREQ=WEEKLY")

    add(1)
    few = (count(person_feed), count(room_feed))
    add(9)
    many = (count(person_feed), count(room_feed))
    assert few == many
    assert max(many) <= 6
    first, second = parse_both(fetch(person_feed).content)
    assert len(first.walk("VEVENT")) == 30
    assert len(second.vevent_list) == 30


def test_fetches_are_noted_at_most_once_an_hour(make_user, new_feed) -> None:
    person = make_user()
    feed = new_feed(person)
    assert CalendarFeed.objects.get(id=feed["id"]).last_fetched_at is None
    fetch(feed)
    noted = CalendarFeed.objects.get(id=feed["id"]).last_fetched_at
    assert noted is not None
    fetch(feed)
    assert CalendarFeed.objects.get(id=feed["id"]).last_fetched_at == noted


def test_the_feed_follows_assignments_deadlines_and_deletions(
    make_user, room_of, task_in, new_feed
) -> None:
    person, other = make_user(), make_user()
    room = room_of(person, other)
    day = date(_next_year(), 8, 8)
    moved = task_in(room, person, "Moved", due=day, assignees=[person])
    handed = task_in(room, person, "Handed over", due=day, assignees=[person])
    cleared = task_in(room, person, "Cleared", due=day, assignees=[person])
    deleted = task_in(room, person, "Deleted", due=day, assignees=[person])
    feed = new_feed(person)
    assert len(parse_both(fetch(feed).content)[0].walk("VEVENT")) == 4

    planning.update_task(actor=person, task_id=moved.id, due=day + timedelta(days=2))
    planning.update_task(actor=person, task_id=handed.id, assignee_ids=[other.id])
    planning.update_task(actor=person, task_id=cleared.id, due=None)
    planning.delete_task(actor=person, task_id=deleted.id)

    first, second = parse_both(fetch(feed).content)
    assert set(events_by_summary(first)) == {"Moved"}
    assert events_by_summary(first)["Moved"].decoded("DTSTART") == day + timedelta(days=2)
    assert vevents_by_summary(second)["Moved"].dtstart.value == day + timedelta(days=2)
