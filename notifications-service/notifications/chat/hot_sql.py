"""The hand-written SQL of chat delivery: numbering a frame for every member in two statements,
beside its ORM twin.

Here because `bench/chat_delivery.py` showed it pays (the figures in docs/decisions.md): a
message to a 500-member group made the ORM write 500 Recipient rows (ignored when present),
lock, bump and read back 500 sequences and insert 500 frames, each row's values (the frame's
whole payload among them) converted and quoted in Python, 500 times: most of the event
consumer's CPU for that message. Here the ids and the payload are one parameter each, and
PostgreSQL locks, bumps and inserts in one statement. PostgreSQL only (`enabled()`); SQLite,
the embedded default, runs the twin, which is what `services.push_frames` ran before.
`notifications/chat/tests/test_hot_sql.py` runs both on the same data and requires the same
rows. Only the models' own quoted table and column names are interpolated; every value is a
parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import F

from cotask_common.statements import Columns, Statement
from notifications.chat.models import ChatFrame, SocketPresence
from notifications.inbox.models import Recipient

# Switched off by the parity tests to run the ORM twin on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


def number_frames(
    *,
    user_ids: list[UUID],
    event_id: UUID,
    event: str,
    conversation_id: UUID,
    payload: dict[str, Any],
) -> dict[UUID, int]:
    """Inside the caller's transaction: a Recipient row for each person who has none, then,
    for every one not deleted, the next number of their sequence and a frame under it; each
    person's new sequence. Rows are locked in id order, so two events to overlapping members
    cannot deadlock, and each person's sequence commits in order."""
    recipients, frames = _recipients_statement(), _frames_statement()
    ids = sorted(set(user_ids), key=str)
    with connection.cursor() as cursor:
        cursor.execute(recipients.sql, recipients.params(*_recipient_defaults(), ids))
        cursor.execute(frames.sql, frames.params(ids, event_id, event, conversation_id, payload))
        return {UUID(str(user_id)): sequence for user_id, sequence in cursor.fetchall()}


def number_frames_orm(
    *,
    user_ids: list[UUID],
    event_id: UUID,
    event: str,
    conversation_id: UUID,
    payload: dict[str, Any],
) -> dict[UUID, int]:
    ids = sorted(set(user_ids), key=str)
    Recipient.objects.bulk_create([Recipient(id=u) for u in ids], ignore_conflicts=True)
    list(
        Recipient.objects.select_for_update()
        .filter(id__in=ids, is_deleted=False)
        .order_by("id")
        .values_list("id", flat=True)
    )
    Recipient.objects.filter(id__in=ids, is_deleted=False).update(
        last_sequence=F("last_sequence") + 1
    )
    sequences = dict(
        Recipient.objects.filter(id__in=ids, is_deleted=False).values_list("id", "last_sequence")
    )
    ChatFrame.objects.bulk_create(
        [
            ChatFrame(
                recipient_id=user_id,
                sequence=sequence,
                event_id=event_id,
                event=event,
                conversation_id=conversation_id,
                payload=payload,
            )
            for user_id, sequence in sequences.items()
        ]
    )
    return sequences


class _UUIDs:
    """A list of UUIDs as one `uuid[]` parameter."""

    @staticmethod
    def get_db_prep_value(value: list[UUID], connection: Any) -> list[UUID]:
        return [UUID(str(v)) for v in value]


def _recipient_defaults() -> list[Any]:
    """A new Recipient's values (every column but the id), as its fields would write them."""
    blank = Recipient()
    return [
        field.get_db_prep_save(getattr(blank, field.attname), connection)
        for field in Recipient._meta.concrete_fields
        if not field.primary_key
    ]


@functools.cache
def _recipients_statement() -> Statement:
    r = Columns(Recipient)
    others = [f for f in Recipient._meta.concrete_fields if not f.primary_key]
    columns = ", ".join([r.name("id"), *(r.name(f.name) for f in others)])
    return Statement(
        f"""
        INSERT INTO {r.table} ({columns})
        SELECT new_id, {", ".join("%s" for _ in others)} FROM unnest(%s::uuid[]) AS new_id
        ON CONFLICT ({r.name("id")}) DO NOTHING
        """,
        [*others, _UUIDs()],  # type: ignore[list-item]
    )


@functools.cache
def _frames_statement() -> Statement:
    r, f = Columns(Recipient), Columns(ChatFrame)
    rid, seq = r.name("id"), r.name("last_sequence")
    return Statement(
        f"""
        WITH locked AS (
            SELECT {rid} FROM {r.table}
            WHERE {rid} = ANY(%s::uuid[]) AND NOT {r.name("is_deleted")}
            ORDER BY {rid} FOR UPDATE
        ), bumped AS (
            UPDATE {r.table} SET {seq} = {r.table}.{seq} + 1
            FROM locked WHERE {r.table}.{rid} = locked.{rid}
            RETURNING {r.table}.{rid} AS recipient, {r.table}.{seq} AS sequence
        )
        INSERT INTO {f.table} ({f.name("recipient")}, {f.name("sequence")},
            {f.name("event_id")}, {f.name("event")}, {f.name("conversation_id")},
            {f.name("payload")}, {f.name("created_at")})
        SELECT recipient, sequence, %s, %s, %s, %s, now() FROM bumped
        RETURNING {f.name("recipient")}, {f.name("sequence")}
        """,
        [
            _UUIDs(),  # type: ignore[list-item]
            f.field("event_id"),
            f.field("event"),
            f.field("conversation_id"),
            f.field("payload"),
        ],
    )


# ---------------------------------------------------------------------------------------------
# Every chat event asks whether it was framed already, every new message who is online: as
# querysets their compiling was a fifth of the consumer's CPU for a direct message.


def framed(*, event_id: UUID) -> bool:
    """Whether the event has frames already (it was delivered before)."""
    statement = _framed_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(event_id))
        return cursor.fetchone() is not None


def framed_orm(*, event_id: UUID) -> bool:
    return ChatFrame.objects.filter(event_id=event_id).exists()


@functools.cache
def _framed_statement() -> Statement:
    f = Columns(ChatFrame)
    return Statement(
        f"SELECT 1 FROM {f.table} WHERE {f.name('event_id')} = %s LIMIT 1", [f.field("event_id")]
    )


def online_among(*, user_ids: list[UUID], seen_since: datetime) -> set[UUID]:
    """Who of `user_ids` has a socket seen at or after `seen_since`."""
    statement = _online_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(user_ids, seen_since))
        return {UUID(str(row[0])) for row in cursor.fetchall()}


def online_among_orm(*, user_ids: list[UUID], seen_since: datetime) -> set[UUID]:
    return set(
        SocketPresence.objects.filter(user_id__in=user_ids, seen_at__gte=seen_since).values_list(
            "user_id", flat=True
        )
    )


@functools.cache
def _online_statement() -> Statement:
    p = Columns(SocketPresence)
    return Statement(
        f"SELECT DISTINCT {p.name('user_id')} FROM {p.table}"
        f" WHERE {p.name('user_id')} = ANY(%s::uuid[]) AND {p.name('seen_at')} >= %s",
        [_UUIDs(), p.field("seen_at")],  # type: ignore[list-item]
    )
