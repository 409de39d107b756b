"""Managing feeds: create (person or room), list mine (paginated, no secrets), revoke, rotate;
tried by the owner, another user, a room's viewer and stranger, a banned user and anonymous."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tasks.calendar.models import CalendarFeed
from tasks.calendar.services import MAX_FEEDS_PER_PERSON, digest, new_token
from tasks.calendar.tests.conftest import fetch
from tasks.rooms.models import Membership

pytestmark = pytest.mark.django_db

FEEDS = "/api/tasks/calendar/feeds/"


def _banned(make_user: Any, client_for: Any) -> Any:
    from cotask_common.users.selectors import invalidate_restrictions

    user = make_user()
    client = client_for(user)
    user.is_banned = True
    user.save(update_fields=["is_banned"])
    invalidate_restrictions()
    return client


def test_a_person_makes_a_feed_of_their_tasks_and_sees_the_address_once(
    make_user, client_for
) -> None:
    owner = client_for(make_user())
    made = owner.post(FEEDS, {}, format="json")
    assert made.status_code == 201
    data = made.json()
    assert data["kind"] == "person" and data["room"] is None
    assert data["url"].endswith(".ics") and "/api/tasks/calendar/" in data["url"]

    listed = owner.get(FEEDS).json()
    assert [feed["id"] for feed in listed["results"]] == [data["id"]]
    assert "url" not in listed["results"][0] and "webcal_url" not in listed["results"][0]
    assert "token" not in str(listed) and data["url"].rsplit("/", 1)[1][:-4] not in str(listed)


def test_a_room_feed_needs_membership_of_any_role(make_user, client_for, room_of) -> None:
    owner, viewer, stranger = make_user(), make_user(), make_user()
    room = room_of(owner)
    Membership.objects.create(room=room, user=viewer, role="viewer")

    made = client_for(viewer).post(FEEDS, {"room_id": str(room.id)}, format="json")
    assert made.status_code == 201
    assert made.json()["kind"] == "room"
    assert made.json()["room"] == {"id": str(room.id), "name": "Launch"}

    refused = client_for(stranger).post(FEEDS, {"room_id": str(room.id)}, format="json")
    missing = client_for(stranger).post(FEEDS, {"room_id": str(uuid.uuid4())}, format="json")
    assert refused.status_code == missing.status_code == 404
    assert refused.json()["code"] == missing.json()["code"] == "room_not_found"

    bad = client_for(stranger).post(FEEDS, {"room_id": "nope"}, format="json")
    assert bad.status_code == 400
    assert "room_id" in bad.json()["fields"]


@pytest.mark.parametrize("who", ["owner", "other", "banned", "anonymous"])
def test_who_may_list_revoke_and_rotate_a_feed(who, make_user, client_for, new_feed) -> None:
    owner = make_user()
    feed = new_feed(owner)
    client = {
        "owner": lambda: client_for(owner),
        "other": lambda: client_for(make_user()),
        "banned": lambda: _banned(make_user, client_for),
        "anonymous": APIClient,
    }[who]()
    expected = {"owner": (200, 200, 204), "other": (200, 404, 404)}.get(
        who, (403, 403, 403) if who == "banned" else (401, 401, 401)
    )

    listed = client.get(FEEDS)
    rotated = client.post(f"{FEEDS}{feed['id']}/rotate/")
    revoked = client.delete(f"{FEEDS}{feed['id']}/")

    assert (listed.status_code, rotated.status_code, revoked.status_code) == expected
    if who == "other":
        assert listed.json()["results"] == []
        assert rotated.json()["code"] == revoked.json()["code"] == "calendar_feed_not_found"
    if who == "owner":
        assert CalendarFeed.objects.count() == 0
        assert fetch(rotated.json()).status_code == 404
    else:
        assert fetch(feed).status_code == 200  # untouched


def test_a_malformed_or_missing_feed_id_is_404(make_user, client_for) -> None:
    client = client_for(make_user())
    for feed_id in ("nope", str(uuid.uuid4())):
        assert client.delete(f"{FEEDS}{feed_id}/").status_code == 404
        assert client.post(f"{FEEDS}{feed_id}/rotate/").status_code == 404


def test_rotating_gives_a_new_address_and_ends_the_old(make_user, client_for, new_feed) -> None:
    owner = make_user()
    feed = new_feed(owner)
    rotated = client_for(owner).post(f"{FEEDS}{feed['id']}/rotate/")
    assert rotated.status_code == 200
    assert rotated.json()["id"] == feed["id"] and rotated.json()["url"] != feed["url"]
    assert rotated.json()["rotated_at"] is not None
    assert fetch(feed).status_code == 404
    assert fetch(rotated.json()).status_code == 200


def test_my_feeds_are_paginated_with_bounded_queries(make_user, client_for, room_of) -> None:
    owner = make_user()
    room = room_of(owner)
    for i in range(25):
        CalendarFeed.objects.create(
            owner=owner,
            kind="room" if i % 2 else "person",
            room=room if i % 2 else None,
            token_digest=digest(new_token()),
        )
    client = client_for(owner)
    client.get(FEEDS)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(FEEDS, {"page_size": 10}).json()
    assert len(queries) <= 3
    assert len(first["results"]) == 10 and first["next"]
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    ids = [f["id"] for page in (first, second, third) for f in page["results"]]
    assert len(ids) == len(set(ids)) == 25


def test_a_person_has_at_most_so_many_feeds(make_user, client_for) -> None:
    owner = make_user()
    CalendarFeed.objects.bulk_create(
        CalendarFeed(owner=owner, kind="person", token_digest=digest(new_token()))
        for _ in range(MAX_FEEDS_PER_PERSON)
    )
    refused = client_for(owner).post(FEEDS, {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "too_many_calendar_feeds"


def test_the_public_address_can_be_configured(make_user, client_for, settings) -> None:
    settings.TASKS_CALENDAR_PUBLIC_URL = "https://cotask.example"
    made = client_for(make_user()).post(FEEDS, {}, format="json").json()
    assert made["url"].startswith("https://cotask.example/api/tasks/calendar/")
    assert made["webcal_url"].startswith("webcal://cotask.example/api/tasks/calendar/")


def test_fetching_is_limited_per_address(make_user, new_feed, settings) -> None:
    settings.TASKS_CALENDAR_FEED_RATE = "2/m"
    from django.core.cache import cache

    cache.clear()
    feed = new_feed(make_user())
    assert [fetch(feed).status_code for _ in range(3)] == [200, 200, 429]
    cache.clear()
