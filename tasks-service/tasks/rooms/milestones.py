"""A room's milestones: its count of completed tasks reaching 10, 50, 100, 500 or 1000
(`ROOM_MILESTONES`), each once per room, published as `tasks.room.milestone` when the room shares
progress.

Every path that completes or reopens a task (an edit, a board move by the ORM or by the hand
SQL, a task created completed) calls `completion_counted` in its own transaction. The count is
one atomic upsert (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so concurrent completions
each see their own number even without the room's lock, and exactly one of them sees 10. The
unique (room, number) row is the guard: when a reopened task brings the count back under 10,
completing again reaches 10 a second time but inserts nothing and publishes nothing.
"""

from __future__ import annotations

import functools
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction

from cotask_common.contracts.tasks import MAX_MILESTONE_MEMBERS, ROOM_MILESTONES
from cotask_common.events.outbox import publish_events
from cotask_common.statements import Columns, Statement
from tasks.rooms.models import Membership, Room, RoomKind, RoomMilestone, RoomTally


@functools.cache
def _count_statement() -> Statement:
    t = Columns(RoomTally)
    room, completed = t.name("room"), t.name("completed")
    # Only the model's own quoted names are interpolated; every value is a parameter.
    sql = (
        f"INSERT INTO {t.table} ({room}, {completed}) VALUES (%s, %s) "  # noqa: S608
        f"ON CONFLICT ({room}) DO UPDATE SET {completed} = {t.table}.{completed} + %s "
        f"RETURNING {completed}"
    )
    return Statement(sql, [t.field("room"), None, None])


def _count(room_id: UUID, delta: int) -> int:
    statement = _count_statement()
    # A first row starts at max(delta, 0): a room with no tally had no counted completion.
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(statement.sql, statement.params(room_id, max(delta, 0), delta))
        (value,) = cursor.fetchone()
    return int(value)


def completion_counted(*, room: Room, delta: int, actor_id: UUID) -> RoomMilestone | None:
    """A task of `room` became completed (`delta` 1) or left completed (-1). Returns the
    milestone this completion reached for the first time, if any (published when the room
    shares progress). Must run inside the change's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("completion_counted runs inside the task's transaction")
    count = _count(room.id, delta)
    if delta <= 0 or count not in ROOM_MILESTONES:
        return None
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the outer one usable
            milestone = RoomMilestone.objects.create(
                room_id=room.id, number=count, reached_by_id=actor_id
            )
    except IntegrityError:
        return None  # reached before (the count came back after a reopening)
    if room.share_progress:
        publish_events(
            type="tasks.room.milestone",
            items=[(room.id, data) for data in _event_data(room, count, actor_id)],
            actor=actor_id,
        )
    return milestone


def _event_data(room: Room, number: int, actor_id: UUID) -> list[dict[str, Any]]:
    """One event's data per `MAX_MILESTONE_MEMBERS` members: a room of any size stays within
    the outbox's event size (a single list of 14,000 ids would pass it and fail the
    completion)."""
    member_ids = [
        str(user_id)
        for user_id in Membership.objects.filter(room_id=room.id)
        .order_by("id")
        .values_list("user_id", flat=True)
    ]
    common = {
        "room_id": str(room.id),
        "room_name": room.name,
        "room_kind": room.kind,
        "private": bool(room.private or room.kind == RoomKind.PERSONAL),
        "number": number,
        "reached_by": str(actor_id),
    }
    return [
        {**common, "member_ids": member_ids[start : start + MAX_MILESTONE_MEMBERS]}
        for start in range(0, max(len(member_ids), 1), MAX_MILESTONE_MEMBERS)
    ]
