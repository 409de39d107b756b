"""`auth.user.deleted`: the person leaves other people's inboxes too (grouped notices are
recounted without them), and nothing of theirs is kept here."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from notifications.inbox import services
from notifications.inbox.models import (
    Delivery,
    Notification,
    PageSubscription,
    Preference,
    Recipient,
    WsTicket,
)

pytestmark = pytest.mark.django_db


def delete_account(deliver, user) -> None:
    deliver(type="auth.user.deleted", key=user.id, data={"id": str(user.id)})


def rows(user):
    return list(
        Notification.objects.filter(recipient_id=user.id)
        .order_by("sequence")
        .values_list("text", "actor_count", "actor_name")
    )


def mentions(value: str) -> list[str]:
    """Tables of this service whose text, char or JSON columns contain `value`."""
    from django.apps import apps
    from django.db import models

    found = []
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models():
            for field in model._meta.local_fields:
                if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                    continue
                table, column = q(model._meta.db_table), q(field.column)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE UPPER(CAST({column} AS TEXT))"  # noqa: S608
                    " LIKE UPPER(%s)",
                    [f"%{value}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{model._meta.db_table}.{field.column}")
    return found


def test_a_deleted_person_leaves_others_inboxes_and_groups_are_recounted(
    announce, deliver, like, follow, django_capture_on_commit_callbacks
):
    author, ruth = announce(), announce(language="ru")
    zed, ann, bob = announce(username="zedgone"), announce(username="ann"), announce(username="bob")
    post, lone, ru_post = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # A group where zed is the newest actor, one where zed is in the middle, one of zed alone.
    like(author, ann, post_id=post)
    like(author, zed, post_id=post)
    like(author, bob, post_id=ru_post)
    like(author, zed, post_id=ru_post)
    like(author, ann, post_id=ru_post)
    like(author, zed, post_id=lone)
    deliver(
        type="social.follow.created",
        key=uuid.uuid4(),
        actor=zed.id,
        data={
            "page_id": str(uuid.uuid4()),
            "page_name": "Ann's",
            "page_owner_id": str(ruth.id),
            "follower_id": str(zed.id),
        },
    )
    like(ruth, bob, post_id=post)
    like(ruth, zed, post_id=post)
    assert rows(author) == [
        ("Zedgone and 1 other liked your post", 2, "Zedgone"),
        ("Ann and 2 others liked your post", 3, "Ann"),
        ("Zedgone liked your post", 1, "Zedgone"),
    ]
    # zed's own inbox, preferences, alerts and a websocket ticket.
    like(zed, ann)
    services.update_preferences(user_id=zed.id, types={"like": {"email": True}})
    study_page = uuid.uuid4()
    follow(zed, study_page)  # alerts are only for pages one follows
    services.subscribe_page(user_id=zed.id, page_id=study_page, page_name="Zed's study page")
    services.issue_ws_ticket(user_id=zed.id, username="zedgone", role="user")
    # ruth subscribed to alerts of zed's page; social deletes the page with the account.
    zed_page = uuid.uuid4()
    follow(ruth, zed_page)
    services.subscribe_page(user_id=ruth.id, page_id=zed_page, page_name="Zedgone's page")

    with django_capture_on_commit_callbacks(execute=True):
        delete_account(deliver, zed)
        deliver(
            type="social.page.deleted",
            key=zed_page,
            actor=zed.id,
            data={"id": str(zed_page), "owner_id": str(zed.id), "handle": "", "name": ""},
        )

    assert rows(author) == [
        ("Ann liked your post", 1, "Ann"),
        ("Ann and 1 other liked your post", 2, "Ann"),
    ]
    assert rows(ruth) == [("Bob: «нравится» — пост", 1, "Bob")]
    grouped = Notification.objects.get(recipient_id=author.id, actor_count=2)
    assert grouped.data["actor_ids"] == [str(ann.id), str(bob.id)]
    assert not PageSubscription.objects.filter(page_id=zed_page).exists()
    for model in (Notification, PageSubscription, Preference):
        assert not model.objects.filter(recipient_id=zed.id).exists()
    assert not Delivery.objects.filter(recipient_id=zed.id).exists()
    assert not WsTicket.objects.filter(user_id=zed.id).exists()
    assert Recipient.objects.get(id=zed.id).is_deleted
    for value in (str(zed.id), "zedgone"):
        assert mentions(value) == [], value

    # Idempotent: another delivery of the deletion changes nothing more.
    delete_account(deliver, zed)
    assert rows(author) == [
        ("Ann liked your post", 1, "Ann"),
        ("Ann and 1 other liked your post", 2, "Ann"),
    ]
    # And the deleted person is told of nothing any more.
    like(zed, bob)
    assert not Notification.objects.filter(recipient_id=zed.id).exists()


def test_a_notice_from_before_params_were_kept_is_deleted_not_garbled(announce, like, deliver):
    author, zed, ann = announce(), announce(username="zed"), announce(username="ann")
    post = uuid.uuid4()
    like(author, zed, post_id=post)
    like(author, ann, post_id=post)
    row = Notification.objects.get(recipient_id=author.id)
    row.data = {k: v for k, v in row.data.items() if k != "params"}
    row.save(update_fields=["data"])
    delete_account(deliver, zed)
    assert not Notification.objects.filter(recipient_id=author.id).exists()


def test_an_event_of_the_person_arriving_after_the_deletion_tells_nobody(announce, like, deliver):
    author, zed = announce(), announce(username="zed")
    delete_account(deliver, zed)
    like(author, zed)
    assert not Notification.objects.filter(recipient_id=author.id).exists()
