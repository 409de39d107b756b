"""Feeds in Django admin: listed and read-only, no secret shown; deleting one revokes it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tasks.calendar.models import CalendarFeed
from tasks.calendar.tests.conftest import fetch, path_of

pytestmark = pytest.mark.django_db

ADMIN = "/admin/tasks/tasks_calendar/calendarfeed/"


@pytest.fixture
def staff(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def test_feeds_in_admin(staff: Any, make_user: Any, new_feed: Any) -> None:
    feed = new_feed(make_user(username="olga"))
    row = CalendarFeed.objects.get(id=feed["id"])
    secret = path_of(feed).rsplit("/", 1)[1].removesuffix(".ics")

    listing = staff.get(ADMIN)
    assert listing.status_code == 200
    assert b"olga" in listing.content
    page = staff.get(f"{ADMIN}{row.id}/change/")
    assert page.status_code == 200
    assert row.token_digest.encode() not in page.content
    assert secret.encode() not in page.content
    assert staff.get(f"{ADMIN}add/").status_code == 403

    deleted = staff.post(f"{ADMIN}{row.id}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert fetch(feed).status_code == 404
