"""REST: list, filters, counts, read state, deletion, preferences, page alerts; permissions."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.inbox.models import Notification, PageSubscription

pytestmark = pytest.mark.django_db

LIST = "/api/notifications/"
COUNT = "/api/notifications/unread-count/"
READ_ALL = "/api/notifications/read-all/"
PREFS = "/api/notifications/preferences/"
PAGES = "/api/notifications/preferences/pages/"
TICKET = "/api/notifications/ws-ticket/"


@pytest.fixture
def alice(announce):
    return announce(username="alice")


@pytest.fixture
def bob(announce):
    return announce(username="bob")


def test_anonymous_gets_401_everywhere(api_client):
    some_id = uuid.uuid4()
    for method, url in [
        ("get", LIST),
        ("get", COUNT),
        ("post", READ_ALL),
        ("post", f"{LIST}{some_id}/read/"),
        ("delete", f"{LIST}{some_id}/"),
        ("get", PREFS),
        ("patch", PREFS),
        ("get", PAGES),
        ("put", f"{PAGES}{some_id}/"),
        ("post", TICKET),
    ]:
        response = getattr(api_client, method)(url)
        assert response.status_code == 401, (method, url, response.content)
        assert response.json()["code"] == "not_authenticated"


def test_a_banned_user_gets_403(client_for, make_user):
    banned = make_user(is_banned=True, ban_reason="spam")
    client = client_for(banned)
    for method, url in [("get", LIST), ("get", COUNT), ("get", PREFS), ("post", TICKET)]:
        response = getattr(client, method)(url)
        assert response.status_code == 403, (url, response.content)
        assert response.json()["code"] == "user_banned"


def test_the_list_shows_only_my_notifications_newest_first(client_for, alice, bob, announce, like):
    carol = announce(username="carol")
    like(alice, bob)
    like(alice, carol)
    like(bob, alice)
    body = client_for(alice).get(LIST).json()
    assert [row["actor"]["name"] for row in body["results"]] == ["Carol", "Bob"]
    row = body["results"][0]
    assert row["type"] == "like" and row["read"] is False
    assert row["target"]["service"] == "social" and row["target"]["kind"] == "post"
    assert row["text"] == "Carol liked your post"
    assert body["results"][0]["cursor"] > body["results"][1]["cursor"]
    assert [r["actor"]["name"] for r in client_for(bob).get(LIST).json()["results"]] == ["Alice"]


def test_filters_unread_and_type_and_bad_filters_name_the_field(
    client_for, alice, bob, deliver, like
):
    like(alice, bob)
    deliver(
        type="social.follow.created",
        key=uuid.uuid4(),
        actor=bob.id,
        data={
            "page_id": str(uuid.uuid4()),
            "page_owner_id": str(alice.id),
            "follower_id": str(bob.id),
            "page_name": "Alice's notes",
        },
    )
    client = client_for(alice)
    assert [r["type"] for r in client.get(LIST, {"type": "follower"}).json()["results"]] == [
        "follower"
    ]
    first = client.get(LIST).json()["results"][0]
    client.post(f"{LIST}{first['id']}/read/")
    assert len(client.get(LIST, {"unread": "true"}).json()["results"]) == 1
    assert len(client.get(LIST, {"unread": "false"}).json()["results"]) == 1
    bad = client.get(LIST, {"type": "nope"})
    assert bad.status_code == 400 and "type" in bad.json()["fields"]


def test_list_query_count_does_not_grow_with_the_page(client_for, alice, announce, like):
    client = client_for(alice)
    for _ in range(3):
        like(alice, announce())
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(LIST).json()["results"]) == 3
    for _ in range(12):
        like(alice, announce())
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(LIST).json()["results"]) == 15
    assert len(many) == len(few) <= 2


def test_the_list_pages_through_every_notification_once(client_for, alice, announce, like):
    # More than one page: the next link is built from the last row's sequence.
    for _ in range(5):
        like(alice, announce())
    client = client_for(alice)
    seen, url, params = [], LIST, {"page_size": 2}
    while url:
        response = client.get(url, params)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        seen += [row["cursor"] for row in body["results"]]
        url, params = body["next"], None
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)


def test_unread_count_goes_up_and_down(client_for, alice, bob, announce, like):
    client = client_for(alice)
    assert client.get(COUNT).json()["unread"] == 0
    like(alice, bob)
    like(alice, announce())
    assert client.get(COUNT).json()["unread"] == 2
    first = client.get(LIST).json()["results"][0]
    response = client.post(f"{LIST}{first['id']}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert client.get(COUNT).json()["unread"] == 1
    assert client.post(READ_ALL).json() == {"marked": 1}
    assert client.get(COUNT).json()["unread"] == 0


def test_read_all_up_to_a_cursor(client_for, alice, announce, like):
    client = client_for(alice)
    like(alice, announce())
    cursor = client.get(COUNT).json()["cursor"]
    like(alice, announce())
    assert client.post(READ_ALL, {"up_to_cursor": cursor}, format="json").json() == {"marked": 1}
    assert client.get(COUNT).json()["unread"] == 1


def test_nobody_reads_changes_or_deletes_anothers_notification(client_for, alice, bob, like):
    like(alice, bob)
    notification = Notification.objects.get(recipient_id=alice.id)
    intruder = client_for(bob)
    assert intruder.post(f"{LIST}{notification.id}/read/").status_code == 404
    assert intruder.delete(f"{LIST}{notification.id}/").status_code == 404
    assert intruder.post(READ_ALL).json() == {"marked": 0}
    notification.refresh_from_db()
    assert notification.read_at is None
    assert client_for(alice).delete(f"{LIST}{notification.id}/").status_code == 204
    assert not Notification.objects.filter(id=notification.id).exists()


def test_preferences_are_per_user_and_validated(client_for, alice, bob):
    client = client_for(alice)
    body = client.get(PREFS).json()
    assert body["email_frequency"] == "immediate"
    like_pref = next(t for t in body["types"] if t["type"] == "like")
    assert like_pref == {
        "type": "like",
        "description": like_pref["description"],
        "in_app": True,
        "realtime": True,
        "email": False,
        "email_always": False,
        "email_digest": False,
    }
    response = client.patch(
        PREFS,
        {"email_frequency": "daily", "types": {"like": {"email": True, "realtime": False}}},
        format="json",
    )
    assert response.status_code == 200
    like_pref = next(t for t in response.json()["types"] if t["type"] == "like")
    assert (like_pref["email"], like_pref["realtime"], like_pref["in_app"]) == (True, False, True)
    # Bob's are untouched: nobody changes another's preferences (there is no user id to pass).
    bob_body = client_for(bob).get(PREFS).json()
    assert bob_body["email_frequency"] == "immediate"
    assert next(t for t in bob_body["types"] if t["type"] == "like")["email"] is False
    bad = client.patch(PREFS, {"email_frequency": "weekly"}, format="json")
    assert bad.status_code == 400 and "email_frequency" in bad.json()["fields"]
    bad = client.patch(PREFS, {"types": {"nope": {"email": True}}}, format="json")
    assert bad.status_code == 400 and "types" in bad.json()["fields"]


def test_the_unread_chat_email_delay_is_chosen_from_the_offered_ones(client_for, alice, bob):
    client = client_for(alice)
    body = client.get(PREFS).json()
    assert body["chat_email_delay_minutes"] == 60
    chat = next(t for t in body["types"] if t["type"] == "chat_message")
    assert (chat["email"], chat["email_digest"]) == (True, True)  # never one by one
    response = client.patch(PREFS, {"chat_email_delay_minutes": 240}, format="json")
    assert response.status_code == 200 and response.json()["chat_email_delay_minutes"] == 240
    assert client_for(bob).get(PREFS).json()["chat_email_delay_minutes"] == 60
    for wrong in (7, "60", None, 0):
        bad = client.patch(PREFS, {"chat_email_delay_minutes": wrong}, format="json")
        assert bad.status_code == 400 and "chat_email_delay_minutes" in bad.json()["fields"]
    assert client.get(PREFS).json()["chat_email_delay_minutes"] == 240


def test_page_alerts_put_list_delete(client_for, alice, bob, follow):
    page = uuid.uuid4()
    follow(alice, page, page_name="Study group")
    client = client_for(alice)
    response = client.put(f"{PAGES}{page}/", {"page_name": "Forged"}, format="json")
    assert response.status_code == 200 and response.json()["page_id"] == str(page)
    assert response.json()["page_name"] == "Study group"  # social's name, not the client's
    assert [r["page_id"] for r in client.get(PAGES).json()["results"]] == [str(page)]
    assert client_for(bob).get(PAGES).json()["results"] == []
    assert client_for(bob).delete(f"{PAGES}{page}/").status_code == 404
    assert client.delete(f"{PAGES}{page}/").status_code == 204


def test_page_alerts_only_for_followers_answered_as_a_missing_page(
    client_for, announce, follow, deliver
):
    """A stranger, someone whose request is pending or was rejected, an ex-follower and a
    blocked user all get the answer a page that does not exist gets: nothing tells them the
    page is there."""
    someone = announce()
    client = client_for(someone)

    def put(page):
        response = client.put(f"{PAGES}{page}/", {}, format="json")
        body = response.json()
        body["message"] = body["message"].replace(str(page), "<id>")
        body.pop("request_id", None)
        return response.status_code, body

    missing = put(uuid.uuid4())
    assert missing[0] == 404 and missing[1]["code"] == "page_not_found"
    private, unfollowed, blocked = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    follow(someone, private, event="requested")
    follow(someone, unfollowed)
    follow(someone, unfollowed, event="removed")
    follow(someone, blocked)
    deliver(
        type="social.page.user_blocked",
        key=blocked,
        data={"page_id": str(blocked), "user_id": str(someone.id), "recipient_ids": []},
    )
    for page in (private, unfollowed, blocked):
        assert put(page) == missing
    assert not PageSubscription.objects.filter(recipient_id=someone.id).exists()


def test_ws_ticket_is_issued(client_for, alice):
    response = client_for(alice).post(TICKET)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"ticket", "expires_in"} and len(body["ticket"]) >= 40
    assert body["expires_in"] == 30
