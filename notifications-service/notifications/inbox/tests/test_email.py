"""Email: immediate per preference, off, daily digest, new-post digest, unsubscribe link."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.inbox import services, tasks
from notifications.inbox.models import EmailState, Notification, Recipient

pytestmark = pytest.mark.django_db


def comment(deliver, post_author, writer):
    deliver(
        type="social.comment.created",
        key=uuid.uuid4(),
        actor=writer.id,
        data={
            "post_id": str(uuid.uuid4()),
            "post_author_id": str(post_author.id),
            "author_id": str(writer.id),
        },
    )


def test_an_immediate_email_when_the_preference_is_on(
    announce, deliver, django_capture_on_commit_callbacks
):
    author, writer = announce(language="uk"), announce(username="bob")
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, writer)
    [message] = mail.outbox
    assert message.to == [f"{author.username}@example.com"]
    assert message.subject == "Bob коментує ваш допис"
    assert "/api/notifications/unsubscribe/?token=" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.get(recipient_id=author.id).email_state == EmailState.SENT


def test_no_email_when_the_type_or_all_email_is_off(
    announce, deliver, like, django_capture_on_commit_callbacks
):
    author, writer = announce(), announce()
    with django_capture_on_commit_callbacks(execute=True):
        like(author, writer)  # likes are not emailed by default
        services.update_preferences(user_id=author.id, types={"comment": {"email": False}})
        comment(deliver, author, writer)
        services.update_preferences(
            user_id=author.id, types={"comment": {"email": True}}, email_frequency="off"
        )
        comment(deliver, author, announce())
    assert mail.outbox == []
    # The in-app notifications are there regardless.
    assert Notification.objects.filter(recipient_id=author.id).count() == 3


def test_in_app_off_still_emails_but_hides_it_from_the_inbox(
    announce, deliver, client_for, django_capture_on_commit_callbacks
):
    author, writer = announce(), announce()
    services.update_preferences(user_id=author.id, types={"comment": {"in_app": False}})
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, writer)
    assert len(mail.outbox) == 1
    assert client_for(author).get("/api/notifications/").json()["results"] == []


def test_daily_digest_batches_everything_into_one_mail(
    announce, deliver, django_capture_on_commit_callbacks
):
    author = announce()
    services.update_preferences(user_id=author.id, email_frequency="daily")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            comment(deliver, author, announce())
    assert mail.outbox == []
    assert tasks.send_digests() == 1
    [message] = mail.outbox
    assert message.subject == "Your CoTask digest: 3 new"
    assert message.body.count("commented on your post") == 3
    # Nothing pending, and not due again for a day.
    assert tasks.send_digests() == 0
    comment(deliver, author, announce())
    assert tasks.send_digests() == 0
    Recipient.objects.filter(id=author.id).update(
        last_digest_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    assert tasks.send_digests() == 1 and len(mail.outbox) == 2


def test_new_posts_go_out_as_a_digest_not_one_mail_per_post(
    announce, deliver, django_capture_on_commit_callbacks
):
    page, reader, author = uuid.uuid4(), announce(), announce()
    services.subscribe_page(user_id=reader.id, page_id=page, page_name="Study group")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            deliver(
                type="social.post.created",
                key=uuid.uuid4(),
                actor=author.id,
                data={
                    "page_id": str(page),
                    "page_name": "Study group",
                    "author_id": str(author.id),
                },
            )
    assert mail.outbox == []  # immediate frequency, still batched
    assert tasks.send_digests() == 1
    [message] = mail.outbox
    assert message.body.count("New post on Study group") == 5


def test_the_unsubscribe_link_works_without_login(
    announce, deliver, api_client, client_for, django_capture_on_commit_callbacks
):
    author = announce()
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, announce())
    links = re.findall(r"https?://\S+token=(\S+)", mail.outbox[0].body)
    type_token, all_token = links
    url = "/api/notifications/unsubscribe/"
    page = api_client.get(url, {"token": type_token})
    assert page.status_code == 200 and b"<form method=post>" in page.content
    assert api_client.post(f"{url}?token={type_token}").json() == {"unsubscribed": "comment"}
    prefs = client_for(author).get("/api/notifications/preferences/").json()
    assert next(t for t in prefs["types"] if t["type"] == "comment")["email"] is False
    assert prefs["email_frequency"] == "immediate"
    assert api_client.post(url, {"token": all_token}, format="json").json() == {"unsubscribed": "*"}
    assert Recipient.objects.get(id=author.id).email_frequency == "off"
    bad = api_client.post(url, {"token": all_token + "x"}, format="json")
    assert bad.status_code == 400 and "token" in bad.json()["fields"]
    assert api_client.get(url, {"token": "nope"}).status_code == 400
