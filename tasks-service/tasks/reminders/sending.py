"""The beat pass: send each due reminder and overdue notice exactly once.

`send_due_reminders` (Celery beat `tasks.send_due_reminders`, every minute; by hand
`manage.py tasks_reminders --at …`) selects pending rows with `remind_at <= now` through the
partial index `reminder_pending_idx` (sent rows are not in it: no scan of tasks or of old
reminders), in batches. Each batch is one transaction that claims its rows with
`SELECT … FOR UPDATE SKIP LOCKED` (a second pass at the same moment takes other rows, never
these), publishes `tasks.reminder.due` / `tasks.task.overdue` through the outbox and marks the
rows sent. The events and the marks commit together or not at all: a worker killed mid-pass
sends nothing and leaves its rows pending for the next pass, so each is sent once.

A claimed row is marked sent without an event (skipped) when its task is completed, its
deadline is not the one it was computed for, the person is no longer a member of the task's
room, or (a reminder, not an overdue notice) when its deadline has already passed — a pass
that ran late tells "overdue" rather than "due in an hour".
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from cotask_common.events.outbox import publish_events
from tasks.planning.models import Status
from tasks.reminders.models import Kind, Reminder
from tasks.rooms.models import Membership

PASS_BATCH_SIZE = 5000
# Events per outbox statement: small enough that a chunk of reminder events (~700 characters
# each) stays under the kit's MAX_EVENT_BYTES, above which `publish_events` serialises every
# event a second time to find an oversized one (2,000 a chunk did, for each event of a pass).
PUBLISH_CHUNK = 400

# The ids of a claimed row as PostgreSQL's text (`_ids`): they go into the events as strings,
# so building a UUID for each and formatting it again was CPU for nothing. SQLite stores UUIDs
# as bare hex: there the fields are read as they are and formatted by `str`.
_TEXT_IDS = {"rid": "id", "uid": "user_id", "tid": "task_id", "room": "task__room_id"}
_FIELDS = (
    "rid",
    "kind",
    "minutes_before",
    "remind_at",
    "uid",
    "tid",
    "task__title",
    "task__due_date",
    "task__due_at",
    "room",
    "task__room__name",
    "task__room__kind",
    "skip",
)


def _ids() -> dict[str, Any]:
    if connection.vendor == "postgresql":
        return {name: Cast(field, TextField()) for name, field in _TEXT_IDS.items()}
    return {name: F(field) for name, field in _TEXT_IDS.items()}


@dataclasses.dataclass
class PassResult:
    sent: int = 0
    overdue: int = 0
    skipped: int = 0
    batches: int = 0


def send_due_reminders(
    *, now: datetime | None = None, batch_size: int = PASS_BATCH_SIZE, max_batches: int = 0
) -> PassResult:
    """Send every reminder and overdue notice due at `now` (default: the clock) once (module
    docstring). `max_batches` (0: until none is due) bounds one call's work."""
    now = now or timezone.now()
    result = PassResult()
    # Whether a claimed row is skipped (module docstring) is decided in the claim's query: the
    # pass reads one flag rather than both deadlines of every row.
    member = Membership.objects.filter(
        room_id=OuterRef("task__room_id"), user_id=OuterRef("user_id")
    )
    deadline_passed = Q(task__due_at__lte=now) | Q(
        # An all-day deadline is over everywhere once its day ended in the westernmost zone.
        task__due_date__lte=now.astimezone(UTC).date() - timedelta(days=2)
    )
    skip = ExpressionWrapper(
        Q(task__status=Status.COMPLETED)
        | ~Q(due_sort=F("task__due_sort"))
        | ~Exists(member)
        | (Q(kind=Kind.REMINDER) & deadline_passed),
        output_field=BooleanField(),
    )
    while not max_batches or result.batches < max_batches:
        with transaction.atomic():
            rows = list(
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(sent_at__isnull=True, remind_at__lte=now)
                .annotate(skip=skip, **_ids())
                .order_by("remind_at")
                .values_list(*_FIELDS)[:batch_size]
            )
            if not rows:
                break
            _send_batch(rows, now=now, result=result)
        result.batches += 1
        if len(rows) < batch_size:
            break
    return result


def _send_batch(rows: list[tuple[Any, ...]], *, now: datetime, result: PassResult) -> None:
    reminders: list[tuple[Any, dict[str, Any]]] = []
    overdue: list[tuple[Any, dict[str, Any]]] = []
    for row in rows:
        rid, kind, minutes, remind_at, user_id, task_id, title, due_date, due_at = row[:9]
        room_id, room_name, room_kind, skip = row[9:]
        if skip:
            result.skipped += 1
            continue
        # JSON-ready values: publish_events checks the whole batch in one call. (`str` of a
        # text id is the same object.)
        data = {
            "room_id": str(room_id),
            "room_name": room_name,
            "room_kind": room_kind,
            "task_id": str(task_id),
            "title": title,
            "recipient_ids": [str(user_id)],
            "due_date": due_date.isoformat() if due_date else None,
            "due_at": due_at.isoformat() if due_at else None,
        }
        if kind == Kind.OVERDUE:
            overdue.append((task_id, data))
        else:
            data.update(
                reminder_id=str(rid), remind_at=remind_at.isoformat(), minutes_before=minutes
            )
            reminders.append((task_id, data))
    publish_events(type="tasks.reminder.due", items=reminders, batch_size=PUBLISH_CHUNK)
    publish_events(type="tasks.task.overdue", items=overdue, batch_size=PUBLISH_CHUNK)
    result.sent += len(reminders)
    result.overdue += len(overdue)
    _mark_sent([row[0] for row in rows], now=now)


def _mark_sent(ids: list[Any], *, now: datetime) -> None:
    """One statement per batch on PostgreSQL (the ids, as text, one array parameter, not
    thousands)."""
    if connection.vendor != "postgresql":
        for start in range(0, len(ids), 500):
            Reminder.objects.filter(id__in=ids[start : start + 500]).update(sent_at=now)
        return
    table = connection.ops.quote_name(Reminder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET sent_at = %s WHERE id = ANY(%s::uuid[])",  # noqa: S608 - model name only
            [now, ids],
        )
