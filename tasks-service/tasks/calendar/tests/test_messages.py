"""The calendar feeds' messages in en, ru and uk (codes never change with the language)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tasks.calendar.models import CalendarFeed
from tasks.calendar.services import MAX_FEEDS_PER_PERSON, digest, new_token

pytestmark = pytest.mark.django_db

TEXTS = {
    "address": {
        "en": "No calendar feed at this address.",
        "ru": "По этому адресу нет ленты календаря.",
        "uk": "За цією адресою немає стрічки календаря.",
    },
    "id": {
        "en": "No calendar feed with this id.",
        "ru": "Нет ленты календаря с таким id.",
        "uk": "Немає стрічки календаря з таким id.",
    },
    "many": {"en": "revoke one first", "ru": "сначала отзовите", "uk": "спершу відкличте"},
    "rate": {
        "en": "Too many calendar feed requests",
        "ru": "Слишком много запросов лент календаря",
        "uk": "Забагато запитів стрічок календаря",
    },
}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_feed_messages_are_translated(language, make_user, client_for, settings) -> None:
    from django.core.cache import cache

    owner = make_user()
    client = client_for(owner)
    client.credentials(
        HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"],
        HTTP_ACCEPT_LANGUAGE=language,
    )
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE=language)

    address = anonymous.get(f"/api/tasks/calendar/{new_token()}.ics").json()
    by_id = client.delete("/api/tasks/calendar/feeds/nope/").json()
    CalendarFeed.objects.bulk_create(
        CalendarFeed(owner=owner, kind="person", token_digest=digest(new_token()))
        for _ in range(MAX_FEEDS_PER_PERSON)
    )
    many = client.post("/api/tasks/calendar/feeds/", {}, format="json").json()
    settings.TASKS_CALENDAR_FEED_RATE = "1/m"
    cache.clear()
    anonymous.get(f"/api/tasks/calendar/{new_token()}.ics")
    rate = anonymous.get(f"/api/tasks/calendar/{new_token()}.ics").json()
    cache.clear()

    assert address["message"] == TEXTS["address"][language]
    assert address["code"] == "calendar_feed_not_found"
    assert by_id["message"] == TEXTS["id"][language]
    assert by_id["code"] == "calendar_feed_not_found"
    assert TEXTS["many"][language] in many["message"]
    assert many["code"] == "too_many_calendar_feeds"
    assert TEXTS["rate"][language] in rate["message"]
    assert rate["code"] == "throttled"
