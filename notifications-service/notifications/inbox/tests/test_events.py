"""Event handlers: who is told what, in which language, once; grouping; bans."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from cotask_common.errors import NotFound
from cotask_common.events.testing import handle_event, make_event
from notifications.inbox import services
from notifications.inbox.models import Notification, PageFollow, PageSubscription, Recipient
from notifications.tests.helpers import texts

pytestmark = pytest.mark.django_db


def test_the_auth_projection_keeps_language_and_email(announce, deliver):
    user = announce(username="olena", language="uk")
    recipient = Recipient.objects.get(id=user.id)
    assert (recipient.language, recipient.email) == ("uk", "olena@example.com")
    deliver(type="auth.user.updated", key=user.id, data={"language": "ru"})
    recipient.refresh_from_db()
    assert recipient.language == "ru"
    deliver(type="auth.user.updated", key=user.id, data={"language": "xx"})  # ignored
    recipient.refresh_from_db()
    assert recipient.language == "ru"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Bob liked your post"),
        ("ru", "Bob: «нравится» — пост"),
        ("uk", "Bob: «подобається» — допис"),
    ],
)
def test_texts_are_in_the_recipients_language(announce, like, language, text):
    author, bob = announce(language=language), announce(username="bob")
    like(author, bob)
    assert texts(author) == [text]


def test_a_redelivered_event_makes_one_notification(announce, like, deliver):
    author, bob = announce(), announce(username="bob")
    event = like(author, bob)
    assert deliver(event) is False  # the consumer's processed-event table
    # and creation itself is idempotent on (event id, recipient), even past that table:
    again = services.notify(event_id=event.id, recipient_id=author.id, type="like", actor_id=bob.id)
    assert again is None
    assert Notification.objects.filter(recipient_id=author.id).count() == 1


def test_a_burst_of_likes_is_grouped(announce, like):
    author = announce()
    post = uuid.uuid4()
    first = announce(username="ann")
    like(author, first, post_id=post)
    for _ in range(12):
        like(author, announce(), post_id=post)
    last = announce(username="zed")
    like(author, last, post_id=post)
    [notification] = Notification.objects.filter(recipient_id=author.id)
    assert notification.actor_count == 14
    assert notification.text == "Zed and 13 others liked your post"
    assert notification.sequence == Recipient.objects.get(id=author.id).last_sequence
    # Once read, the next like starts a new notification.
    services.mark_read(user_id=author.id, notification_id=notification.id)
    like(author, first, post_id=post)
    assert Notification.objects.filter(recipient_id=author.id).count() == 2


def test_one_other_is_singular_and_nobody_is_told_of_their_own_like(announce, like):
    author = announce()
    post = uuid.uuid4()
    like(author, author, post_id=post)
    assert texts(author) == []
    like(author, announce(username="ann"), post_id=post)
    like(author, announce(username="bob"), post_id=post)
    assert texts(author) == ["Bob and 1 other liked your post"]


def test_a_comment_tells_post_author_parent_author_and_mentioned_once(announce, deliver):
    post_author, parent_author, mentioned, writer = (announce() for _ in range(4))
    deliver(
        type="social.comment.created",
        key=uuid.uuid4(),
        actor=writer.id,
        data={
            "post_id": str(uuid.uuid4()),
            "post_author_id": str(post_author.id),
            "parent_id": str(uuid.uuid4()),
            "parent_author_id": str(parent_author.id),
            "author_id": str(writer.id),
            "mentioned_user_ids": [str(mentioned.id), str(parent_author.id)],
        },
    )
    name = writer.username.capitalize()
    assert texts(post_author) == [f"{name} commented on your post"]
    assert texts(parent_author) == [f"{name} replied to your comment"]
    assert texts(mentioned) == [f"{name} mentioned you"]


def _post(deliver, author, page, name="Study group"):
    post = {"page_id": str(page), "page_name": name, "author_id": str(author.id)}
    deliver(type="social.post.created", key=uuid.uuid4(), actor=author.id, data=post)


def test_new_posts_only_for_those_who_asked_and_unfollow_stops_them(announce, deliver, follow):
    page = uuid.uuid4()
    author, asked, did_not = announce(), announce(), announce()
    follow(asked, page)
    follow(did_not, page)
    services.subscribe_page(user_id=asked.id, page_id=page, page_name="Study group")
    _post(deliver, author, page)
    assert texts(asked) == ["New post on Study group"]
    assert texts(did_not) == [] and texts(author) == []
    follow(asked, page, event="removed")
    assert not PageSubscription.objects.filter(recipient_id=asked.id).exists()


@pytest.mark.parametrize(
    "ending",
    [
        "removed",  # unfollowed, removed by the owner, account deleted
        "rejected",  # a request that never became a follow
        "user_blocked",  # the owner blocked them (social.page.*)
        "page_deleted",
    ],
)
def test_a_follow_that_ends_takes_the_alerts_with_it(announce, deliver, follow, ending):
    page, author, reader = uuid.uuid4(), announce(), announce()
    follow(reader, page)
    services.subscribe_page(user_id=reader.id, page_id=page)
    if ending in ("removed", "rejected"):
        follow(reader, page, event=ending)
    elif ending == "user_blocked":
        deliver(
            type="social.page.user_blocked",
            key=page,
            data={"page_id": str(page), "user_id": str(reader.id), "recipient_ids": []},
        )
    else:
        deliver(type="social.page.deleted", key=page, data={"id": str(page), "name": "x"})
    assert not PageSubscription.objects.filter(recipient_id=reader.id).exists()
    # An ended follow keeps no page name (the page, or its deleted owner, must not stay named).
    assert PageFollow.objects.get(user_id=reader.id, page_id=page).page_name == ""
    _post(deliver, author, page)
    assert texts(reader) == []
    with pytest.raises(NotFound) as raised:
        services.subscribe_page(user_id=reader.id, page_id=page)
    assert raised.value.code == "page_not_found"


def test_delivery_checks_the_follow_again(announce, deliver, follow):
    """An alert row left over (written before the follow projection existed, or by a handler
    that lost a race) is not delivered once the follow ended."""
    page, author, reader = uuid.uuid4(), announce(), announce()
    follow(reader, page)
    services.subscribe_page(user_id=reader.id, page_id=page)
    PageFollow.objects.filter(user_id=reader.id).update(active=False)
    _post(deliver, author, page)
    assert texts(reader) == []
    assert PageSubscription.objects.filter(recipient_id=reader.id).exists()


def test_a_late_older_event_does_not_undo_a_newer_one(announce, follow):
    """A re-follow's events are keyed by the new follow's id, so they may be handled before
    the old follow's end: the newest event wins, whatever the order."""
    page, reader = uuid.uuid4(), announce()
    old_end = dataclasses.replace(
        make_event(
            type="social.follow.removed",
            key=uuid.uuid4(),
            data={"page_id": str(page), "follower_id": str(reader.id)},
        ),
        occurred_at=timezone.now() - timedelta(seconds=5),
    )
    follow(reader, page)  # the re-follow, handled first
    handle_event(old_end)  # the old follow's end, handled late
    services.subscribe_page(user_id=reader.id, page_id=page)
    assert PageSubscription.objects.filter(recipient_id=reader.id).exists()


def test_the_account_deletion_forgets_the_follows(announce, deliver, follow):
    page, reader = uuid.uuid4(), announce()
    follow(reader, page)
    deliver(type="auth.user.deleted", key=reader.id, data={})
    assert not PageFollow.objects.filter(user_id=reader.id).exists()


def test_follow_request_and_approval(announce, deliver):
    owner, follower = announce(), announce(username="fan")
    page = {
        "page_id": str(uuid.uuid4()),
        "page_name": "Secret",
        "page_owner_id": str(owner.id),
        "follower_id": str(follower.id),
    }
    deliver(type="social.follow.requested", key=uuid.uuid4(), actor=follower.id, data=page)
    deliver(type="social.follow.approved", key=uuid.uuid4(), actor=owner.id, data=page)
    assert texts(owner) == ["Fan asked to follow Secret"]
    assert texts(follower) == ["Your request to follow Secret was approved"]


def test_moderation_tells_the_author_without_naming_the_moderator(announce, deliver):
    author, moderator = announce(language="ru"), announce()
    deliver(
        type="social.moderation.post_removed",
        key=uuid.uuid4(),
        actor=moderator.id,
        data={
            "target_type": "post",
            "target_id": str(uuid.uuid4()),
            "target_owner_id": str(author.id),
            "reason": "спам",
        },
    )
    [notification] = Notification.objects.filter(recipient_id=author.id)
    assert notification.text == "Модератор: удалено — пост. Причина: спам"
    assert notification.actor_id is None


def test_the_reporter_is_told_what_came_of_a_report(announce, deliver):
    reporter, moderator = announce(language="uk"), announce()
    report_id = str(uuid.uuid4())
    deliver(
        type="social.moderation.report_resolved",
        key=report_id,
        actor=moderator.id,
        data={
            "report_id": report_id,
            "reporter_id": str(reporter.id),
            "outcome": "delete",
            "recipient_ids": [str(reporter.id)],
        },
    )
    [notification] = Notification.objects.filter(recipient_id=reporter.id)
    assert notification.text == "Вашу скаргу розглянуто: вміст видалено"
    assert notification.actor_id is None
    assert Notification.objects.filter(recipient_id=moderator.id).count() == 0


def test_ban_and_unban_are_told(announce, deliver):
    user = announce()
    deliver(type="auth.user.banned", key=user.id, data={"until": None, "reason": "spam"})
    deliver(type="auth.user.unbanned", key=user.id, data={})
    assert texts(user) == [
        "Your account is banned permanently. Reason: spam",
        "Your account is no longer banned",
    ]


def test_a_missing_key_notifies_fewer_people_never_fails(deliver):
    assert deliver(make_event(type="social.like.created", key=uuid.uuid4(), data={})) is True
    assert Notification.objects.count() == 0


def test_recipient_ids_when_present_bound_who_is_told(announce, deliver):
    """social's `recipient_ids` is the last word: a follow made active by the owner's own
    approval tells nobody; a direct one tells the owner."""
    owner, fan, other = announce(), announce(username="fan"), announce(username="other")
    follow = {
        "page_id": str(uuid.uuid4()),
        "page_name": "Secret",
        "page_owner_id": str(owner.id),
        "follower_id": str(fan.id),
    }
    deliver(
        type="social.follow.created",
        key=uuid.uuid4(),
        actor=fan.id,
        data={**follow, "via": "approval", "recipient_ids": []},
    )
    assert texts(owner) == []
    deliver(
        type="social.follow.created",
        key=uuid.uuid4(),
        actor=other.id,
        data={
            **follow,
            "follower_id": str(other.id),
            "via": "direct",
            "recipient_ids": [str(owner.id)],
        },
    )
    assert texts(owner) == ["Other followed Secret"]


def test_delivery_keys_past_the_retention_are_cleaned_up(announce, like, settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from notifications.inbox.models import Delivery
    from notifications.inbox.tasks import cleanup_deliveries

    settings.NOTIFICATIONS_DELIVERY_RETENTION_DAYS = 30
    author, bob = announce(), announce(username="bob")
    old_events = [like(author, bob) for _ in range(3)]
    recent = like(author, bob)
    Delivery.objects.filter(event_id__in=[e.id for e in old_events]).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    assert services.cleanup_deliveries(batch=2) == 3  # in batches of two
    assert list(Delivery.objects.values_list("event_id", flat=True)) == [recent.id]
    # The recent key still refuses its event; the notifications themselves stay.
    assert services.notify(event_id=recent.id, recipient_id=author.id, type="like") is None
    assert Notification.objects.filter(recipient_id=author.id).count() == 4
    assert cleanup_deliveries() == 0  # the beat task: nothing more to clean
