"""POST ws-ticket/ is limited per account (NOTIFICATIONS_WS_TICKET_RATE): past the limit a 429
in the kit's error shape, in the person's language, with Retry-After."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

TICKET = "/api/notifications/ws-ticket/"


@pytest.fixture(autouse=True)
def three_a_minute(settings):
    settings.NOTIFICATIONS_WS_TICKET_RATE = "3/m"


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Too many websocket tickets"), ("ru", "Слишком много"), ("uk", "Забагато")],
)
def test_the_fourth_ticket_in_a_minute_is_refused(client_for, announce, language, words):
    client = client_for(announce(language=language))
    for _ in range(3):
        assert client.post(TICKET).status_code == 201
    refused = client.post(TICKET)
    assert refused.status_code == 429, refused.content
    body = refused.json()
    assert body["code"] == "throttled"
    assert words in body["message"] and "3" in body["message"]
    assert 1 <= body["retry_after"] <= 60
    assert set(body) >= {"code", "message", "request_id", "retry_after"}
    assert int(refused["Retry-After"]) == body["retry_after"]


def test_the_limit_is_per_account(client_for, announce):
    first, second = client_for(announce()), client_for(announce())
    for _ in range(3):
        first.post(TICKET)
    assert first.post(TICKET).status_code == 429
    assert second.post(TICKET).status_code == 201


def test_accept_language_is_used_before_the_account_is_known_here(client_for, make_user):
    client = client_for(make_user())
    for _ in range(3):
        client.post(TICKET)
    refused = client.post(TICKET, HTTP_ACCEPT_LANGUAGE="uk,en;q=0.5")
    assert refused.status_code == 429
    assert refused.json()["message"].startswith("Забагато")


def test_while_redis_is_away_the_limit_is_counted_in_the_process(client_for, announce, settings):
    # A Redis nothing listens at: tickets are still issued, and still limited.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    client = client_for(announce())
    for _ in range(3):
        issued = client.post(TICKET)
        assert issued.status_code == 201, issued.content
    assert client.post(TICKET).status_code == 429
