"""Chat delivery's hand-written statements (`notifications.chat.hot_sql`) write what their ORM
twin writes, on the same data: a Recipient row for someone new (with the model's defaults), the
next number of each person's sequence, a frame under it, nothing for a deleted person
(PostgreSQL: on SQLite the services run the twin)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import transaction
from django.forms.models import model_to_dict

from cotask_common.testing.parity import statements_on_postgresql
from notifications.chat import hot_sql
from notifications.chat.models import ChatFrame
from notifications.inbox.models import Recipient

pytestmark = pytest.mark.django_db


_statements = statements_on_postgresql(hot_sql)


def frame_rows(event_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return sorted(
        ChatFrame.objects.filter(event_id=event_id).values_list(
            "recipient_id", "sequence", "event", "conversation_id", "payload"
        ),
        key=lambda row: str(row[0]),
    )


def recipient_rows(ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    return [model_to_dict(r) for r in Recipient.objects.filter(id__in=ids).order_by("id")]


def test_the_statements_write_what_the_orm_writes() -> None:
    # Each run on its own people, in the same starting state; the results are compared below
    # with those of the twin by shape (ids differ per run).
    results = {}
    for run, function in (
        ("statement", hot_sql.number_frames),
        ("orm", hot_sql.number_frames_orm),
    ):
        known, new, deleted = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        Recipient.objects.create(id=known, username="known", last_sequence=41)
        Recipient.objects.create(id=deleted, username="gone", last_sequence=7, is_deleted=True)
        event_id, conversation = uuid.uuid4(), uuid.uuid4()
        payload = {"text": "hello", "mention_ids": [], "nested": {"a": 1}}
        with transaction.atomic():
            cursors = function(
                user_ids=[new, known, deleted, known],
                event_id=event_id,
                event="message_created",
                conversation_id=conversation,
                payload=payload,
            )
        names = {known: "known", new: "new", deleted: "deleted"}
        results[run] = {
            "cursors": {names[k]: v for k, v in cursors.items()},
            "frames": sorted(
                (names[r], s, e, c == conversation, p) for r, s, e, c, p in frame_rows(event_id)
            ),
            "recipients": sorted(
                (names[row.pop("id")], sorted(row.items()))
                for row in recipient_rows([known, new, deleted])
            ),
        }
    assert results["statement"] == results["orm"]
    assert results["statement"]["cursors"] == {"known": 42, "new": 1}


def test_delivery_is_the_same_either_way(announce: Any, deliver: Any) -> None:
    from notifications.chat.services import push_frames

    ada, bob = announce(), announce()
    cursors = {}
    for on in (True, False):
        hot_sql.ENABLED = on
        cursors[on] = push_frames(
            event_id=uuid.uuid4(),
            event="read",
            conversation_id=uuid.uuid4(),
            user_ids=[ada.id, bob.id],
            payload={"user_id": str(ada.id)},
        )
    assert cursors[False] == {user: cursor + 1 for user, cursor in cursors[True].items()}


def test_framed_and_online_read_what_the_orm_reads() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from cotask_common.testing.parity import same
    from notifications.chat.models import SocketPresence

    now = timezone.now()
    fresh, stale, twice, absent = (uuid.uuid4() for _ in range(4))
    SocketPresence.objects.create(channel_name="a", user_id=fresh, seen_at=now)
    SocketPresence.objects.create(channel_name="b", user_id=stale, seen_at=now - timedelta(hours=1))
    SocketPresence.objects.create(channel_name="c", user_id=twice, seen_at=now)
    SocketPresence.objects.create(channel_name="d", user_id=twice, seen_at=now)
    since = now - timedelta(minutes=1)
    ids = [fresh, stale, twice, absent]
    found, _ = same(
        lambda: hot_sql.online_among(user_ids=ids, seen_since=since),
        lambda: hot_sql.online_among_orm(user_ids=ids, seen_since=since),
        lambda: None,
    )
    assert found == {fresh, twice}
    assert hot_sql.online_among(user_ids=ids, seen_since=now) == {fresh, twice}
    event_id = uuid.uuid4()
    with transaction.atomic():
        hot_sql.number_frames(
            user_ids=[fresh], event_id=event_id, event="read", conversation_id=fresh, payload={}
        )
    for asked in (event_id, uuid.uuid4()):

        def sql(e: uuid.UUID = asked) -> bool:
            return hot_sql.framed(event_id=e)

        def orm(e: uuid.UUID = asked) -> bool:
            return hot_sql.framed_orm(event_id=e)

        same(sql, orm, lambda: None)
    assert hot_sql.framed(event_id=event_id) and not hot_sql.framed(event_id=uuid.uuid4())
