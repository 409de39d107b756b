"""Email: immediate per preference, off, daily digest, new-post digest, unsubscribe link."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

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
    assert "http://127.0.0.1:8080/unsubscribe?lang=uk&token=" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Mail clients' one-click POST goes to the API, not to the page.
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8080/api/notifications/unsubscribe/?token="
    )
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
    announce, deliver, follow, django_capture_on_commit_callbacks
):
    page, reader, author = uuid.uuid4(), announce(), announce()
    follow(reader, page)
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


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def unsubscribe_urls(text: str) -> list[str]:
    # The HTML part writes "&" as "&amp;" in the href: compare the URLs themselves.
    return re.findall(r"https?://\S+/unsubscribe\?lang=\w+&token=[^\s\"<]+", unescape(text))


def test_emails_have_an_html_part_with_the_same_unsubscribe_links_in_the_readers_language(
    announce, deliver, django_capture_on_commit_callbacks
):
    author, writer = announce(language="uk"), announce(username="bob")
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, writer)
    [message] = mail.outbox
    html = html_of(message)
    links = unsubscribe_urls(message.body)
    assert len(links) == 2  # this type, and every email
    assert unsubscribe_urls(html) == links
    assert '<html lang="uk">' in html
    assert "Bob коментує ваш допис" in html
    assert "Не надсилати такі листи" in html and "Не надсилати такі листи" in message.body
    assert "налаштувань сповіщень CoTask" in html


def test_what_people_wrote_is_escaped_in_the_html_part_and_kept_in_the_text(
    announce, deliver, django_capture_on_commit_callbacks
):
    author, writer = announce(), announce()
    hostile = "<script>alert('x')</script> & <b>Bob</b>"
    deliver(
        type="auth.user.updated",
        key=writer.id,
        data={"id": str(writer.id), "display_name": hostile},
    )
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, writer)
    [message] = mail.outbox
    html = html_of(message)
    assert "<script" not in html and "<b>Bob" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;Bob&lt;/b&gt;" in html
    # Plain text is not HTML: the name reads as written there (and in the subject).
    assert f"{hostile} commented on your post" in message.body
    assert message.subject == f"{hostile} commented on your post"


def test_digests_have_an_html_list_escaped_with_the_unsubscribe_link(
    announce, deliver, follow, django_capture_on_commit_callbacks
):
    page, reader, author = uuid.uuid4(), announce(language="ru"), announce()
    page_name = '<img src=x onerror="steal()"> Study'
    follow(reader, page, page_name=page_name)
    services.subscribe_page(user_id=reader.id, page_id=page, page_name=page_name)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            deliver(
                type="social.post.created",
                key=uuid.uuid4(),
                actor=author.id,
                data={"page_id": str(page), "page_name": page_name, "author_id": str(author.id)},
            )
    assert tasks.send_digests() == 1
    [message] = mail.outbox
    html = html_of(message)
    assert html.count("<li") == 3
    assert "<img" not in html
    assert "Новый пост на &lt;img src=x onerror=&quot;steal()&quot;&gt; Study" in html
    assert "Сводка CoTask: новых — 3" in html and message.subject == "Сводка CoTask: новых — 3"
    [link] = unsubscribe_urls(message.body)  # a digest has the "every email" link only
    assert unsubscribe_urls(html) == [link]
    # The header carries the same token for the one-click API (mail clients POST there).
    token = link.split("token=")[1]
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<http://127.0.0.1:8080/api/notifications/unsubscribe/?token={token}>"
    )
    assert message.body.count(f"• Новый пост на {page_name}") == 3


# ---------------------------------------------------------------------------------------------
# Only verified addresses get email


def account_event(deliver, user, type: str = "auth.user.updated", **data) -> None:
    deliver(type=type, key=user.id, data={"id": str(user.id), **data})


def test_no_email_of_any_kind_to_an_unverified_address_but_the_inbox_has_it(
    announce, deliver, follow, django_capture_on_commit_callbacks
):
    """Self-registration announces `email_verified: false`: until the person proves the
    address is theirs, nothing is mailed there (immediate, mandatory or digest)."""
    author, reader, writer = announce(), announce(), announce()
    account_event(deliver, author, type="auth.user.registered", email_verified=False)
    account_event(deliver, reader, type="auth.user.registered", email_verified=False)
    page = uuid.uuid4()
    follow(reader, page)
    services.subscribe_page(user_id=reader.id, page_id=page, page_name="Study group")
    services.update_preferences(user_id=author.id, email_frequency="daily")
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, writer)  # immediate for `reader`'s kind, digest for author
        comment(deliver, reader, writer)
        deliver(
            type="social.post.created",
            key=uuid.uuid4(),
            actor=writer.id,
            data={"page_id": str(page), "page_name": "Study group", "author_id": str(writer.id)},
        )
        # A ban notice is emailed even when switched off, but not to an unverified address.
        deliver(
            type="auth.user.banned",
            key=reader.id,
            data={"id": str(reader.id), "until": None, "reason": "spam"},
        )
    assert tasks.send_digests() == 0
    assert mail.outbox == []
    assert Notification.objects.filter(recipient_id=author.id).count() == 1
    assert Notification.objects.filter(recipient_id=reader.id).count() == 3
    assert not Notification.objects.exclude(email_state=EmailState.NONE).exists()

    # Verified: the next one is mailed.
    account_event(deliver, reader, type="auth.user.email_verified", email_verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, reader, writer)
    [message] = mail.outbox
    assert message.to == [f"{reader.username}@example.com"]


def test_a_changed_address_gets_nothing_until_it_is_confirmed(
    announce, deliver, django_capture_on_commit_callbacks
):
    author, writer = announce(), announce()
    # An address set without verification (e.g. by staff): unverified, whether the event says
    # so or only carries the new address.
    account_event(deliver, author, email="new@example.com", email_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, writer)
    account_event(deliver, author, type="auth.user.email_verified", email_verified=True)
    account_event(deliver, author, email="newer@example.com")
    assert Recipient.objects.get(id=author.id).email_verified is False
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, writer)
    assert mail.outbox == []
    # The same address again keeps its state; confirming the new one lets mail through.
    account_event(
        deliver,
        author,
        type="auth.user.email_verified",
        email="newer@example.com",
        email_verified=True,
    )
    account_event(deliver, author, email="newer@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        comment(deliver, author, writer)
    [message] = mail.outbox
    assert message.to == ["newer@example.com"]
    assert Notification.objects.filter(recipient_id=author.id).count() == 3


def test_an_address_unverified_after_queueing_is_not_mailed(
    announce, deliver, django_capture_on_commit_callbacks
):
    """The email task and the digest read the state again when they run."""
    author, daily, writer = announce(), announce(), announce()
    services.update_preferences(user_id=daily.id, email_frequency="daily")
    comment(deliver, daily, writer)  # pending for the digest
    comment(deliver, author, writer)  # queued; the task has not run (no on-commit here)
    [queued] = Notification.objects.filter(recipient_id=author.id, email_state=EmailState.QUEUED)
    for user in (author, daily):
        account_event(deliver, user, email=f"other-{user.username}@example.com")
    assert tasks.send_notification_email(str(queued.id)) is False
    assert tasks.send_digests() == 0
    assert mail.outbox == []
    assert not Notification.objects.exclude(email_state=EmailState.NONE).exists()
