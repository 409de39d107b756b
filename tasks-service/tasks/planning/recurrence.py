"""Recurring tasks: the RRULE subset we accept, the next occurrence, and "this one or all
following" edits.

A recurring task is a series of occurrences (tasks sharing `series_id`); only the open one
exists ahead of time. Completing an occurrence creates the next one: a copy of the completed
one (title, description, priority, estimate, labels, assignees, parent, rule) with the deadline
moved to the rule's next date after both the old deadline and today, status pending. So a
late completion never leaves a trail of overdue copies.

The subset (RFC 5545 syntax, parsed by dateutil.rrule after our check):

- `FREQ=DAILY[;INTERVAL=n]`                 every day, every n days
- `FREQ=WEEKLY[;INTERVAL=n][;BYDAY=MO,WE]`  chosen weekdays (default: the deadline's)
- `FREQ=MONTHLY[;INTERVAL=n][;BYMONTHDAY=d]` day d (1 to 31, or -1 for the last day; months
                                            without day d are skipped, as RFC 5545 says)
- `FREQ=YEARLY[;INTERVAL=n]`                 the deadline's day every year

Anything else (COUNT, UNTIL, BYSETPOS, BYHOUR, numbered weekdays like `1MO`, …) is refused
with 400 `recurrence` / `unsupported_recurrence`: each of those needs UI and semantics
(end of series, "second Tuesday") that nobody asked for yet, and an accepted rule must mean
the same to every client.

Edits take `scope`: `this` changes this occurrence only (the next one is made from the values
before the one-off edit, remembered in a history row `field="scope"`), `following` changes
this one and every later open occurrence of the series (and so everything made from them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from dateutil import rrule
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.users.models import UserRef
from tasks.planning.models import Assignment, Priority, Status, Task, TaskChange
from tasks.rooms.models import Membership

FIELD = "recurrence"
CODE = "unsupported_recurrence"
MAX_INTERVAL = 999
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Which parts each frequency may carry (FREQ itself is always there).
ALLOWED_PARTS: dict[str, frozenset[str]] = {
    "DAILY": frozenset({"INTERVAL"}),
    "WEEKLY": frozenset({"INTERVAL", "BYDAY"}),
    "MONTHLY": frozenset({"INTERVAL", "BYMONTHDAY"}),
    "YEARLY": frozenset({"INTERVAL"}),
}
ORDER = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY")

SCOPE_THIS = "this"
SCOPE_FOLLOWING = "following"
SCOPES = (SCOPE_THIS, SCOPE_FOLLOWING)
# What an occurrence hands on to the next one (besides labels and assignees).
COPIED_FIELDS = ("title", "description", "priority", "estimate_minutes", "recurrence")
POSITION_GAP = 1024
# What a one-off edit remembers of the series (the next occurrence is made from these).
_REMEMBERED = frozenset(
    {*COPIED_FIELDS, "due_date", "due_at", "label_ids", "assignee_ids", "parent_id"}
)


def _unsupported(message: str) -> ServiceError:
    return ServiceError.for_field(FIELD, message, code=CODE)


def normalize_recurrence(value: Any) -> str:
    """The rule in canonical form (`FREQ=WEEKLY;BYDAY=MO,WE`), "" for none; 400 naming
    `recurrence` (`unsupported_recurrence`) for anything outside the subset."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _unsupported(_("A recurrence rule is text like FREQ=WEEKLY;BYDAY=MO,WE."))
    text = value.strip().upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        return ""
    if len(text) > 200:
        raise _unsupported(_("A recurrence rule has at most 200 characters."))
    parts: dict[str, str] = {}
    for chunk in text.strip(";").split(";"):
        name, sep, part_value = chunk.partition("=")
        name, part_value = name.strip(), part_value.strip()
        if not sep or not name or not part_value:
            raise _unsupported(_("%(part)r is not NAME=VALUE.") % {"part": chunk[:40]})
        if name in parts:
            raise _unsupported(_("%(name)s is given twice.") % {"name": name})
        parts[name] = part_value
    freq = parts.get("FREQ")
    if freq not in ALLOWED_PARTS:
        raise _unsupported(
            _("FREQ must be one of DAILY, WEEKLY, MONTHLY, YEARLY (got %(value)s).")
            % {"value": (freq or "")[:20] or "-"}
        )
    extra = sorted(set(parts) - {"FREQ"} - ALLOWED_PARTS[freq])
    if extra:
        raise _unsupported(
            _("%(parts)s is not supported with FREQ=%(freq)s.")
            % {"parts": ", ".join(name[:20] for name in extra), "freq": freq}
        )
    if "INTERVAL" in parts:
        interval = parts["INTERVAL"]
        if not interval.isdigit() or not 1 <= int(interval) <= MAX_INTERVAL:
            raise _unsupported(
                _("INTERVAL must be a whole number from 1 to %(max)s.") % {"max": MAX_INTERVAL}
            )
        parts["INTERVAL"] = str(int(interval))
        if parts["INTERVAL"] == "1":
            del parts["INTERVAL"]
    if "BYDAY" in parts:
        days = [day.strip() for day in parts["BYDAY"].split(",")]
        if not days or any(day not in WEEKDAYS for day in days):
            raise _unsupported(
                _("BYDAY lists weekdays among MO, TU, WE, TH, FR, SA, SU, separated by commas.")
            )
        parts["BYDAY"] = ",".join(day for day in WEEKDAYS if day in days)
    if "BYMONTHDAY" in parts:
        raw = parts["BYMONTHDAY"]
        try:
            day = int(raw)
        except ValueError:
            day = 0
        if not (1 <= day <= 31 or day == -1):
            raise _unsupported(_("BYMONTHDAY must be a day from 1 to 31, or -1 for the last day."))
        parts["BYMONTHDAY"] = str(day)
    normalized = ";".join(f"{name}={parts[name]}" for name in ORDER if name in parts)
    try:
        rrule.rrulestr(normalized, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as exc:  # the subset should always parse; belt and braces
        raise _unsupported(_("This recurrence rule cannot be read.")) from exc
    return normalized


def parse_scope(value: Any) -> str:
    """`?scope=` of an edit: `this` or `following` (default `following`)."""
    if value in (None, ""):
        return SCOPE_FOLLOWING
    if value not in SCOPES:
        raise ServiceError.for_field(
            "scope", _("scope is this or following."), code="invalid_choice"
        )
    return str(value)


def next_due(
    *, rule: str, due_date: date | None, due_at: datetime | None, today: date | None = None
) -> tuple[date | None, datetime | None]:
    """The next deadline by `rule` after both the current one and today (UTC). Without a
    deadline the series counts from today: the next occurrence is due on the rule's next day."""
    now = timezone.now()
    today = today or now.date()
    if due_at is not None:
        start = due_at.astimezone(UTC)
        after = max(start, now)
        found = rrule.rrulestr(rule, dtstart=start).after(after, inc=False)
        return None, found
    start_day = due_date or today
    start = datetime(start_day.year, start_day.month, start_day.day)
    after = max(start, datetime(today.year, today.month, today.day))
    found = rrule.rrulestr(rule, dtstart=start).after(after, inc=False)
    return (found.date() if found else None), None


def _due_sort(due_date: date | None, due_at: datetime | None) -> datetime | None:
    if due_at is not None:
        return due_at
    if due_date is not None:
        return datetime(due_date.year, due_date.month, due_date.day, tzinfo=UTC)
    return None


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_json(item) for item in value]
    return value


def _series_values(task: Task) -> dict[str, Any]:
    """The values the series had before this occurrence's one-off (`scope=this`) edits."""
    values: dict[str, Any] = {}
    rows = TaskChange.objects.filter(task=task, field="scope").order_by("id")
    for row in rows.values_list("before", flat=True):
        for name, value in (row or {}).items():
            values.setdefault(name, value)  # the earliest one-off edit knew the series value
    return values


def record_this_only(*, task: Task, before: dict[str, Any], actor: UserRef | None) -> None:
    """Remember the series values of the fields an edit with `scope=this` changed, so the
    next occurrence is made from them. Call inside the edit's transaction."""
    kept = {name: _json(value) for name, value in before.items() if name in _REMEMBERED}
    if task.series_id is None or not kept:
        return
    TaskChange.objects.create(task=task, actor=actor, field="scope", before=kept, after="this")


def apply_to_following(*, task: Task, changes: dict[str, Any], actor: UserRef | None) -> list[Task]:
    """An edit with `scope=following`: the same plain-field changes on the series' later open
    occurrences (those made after `task`, not completed). Returns them. Inside the transaction.
    `changes` maps field names of COPIED_FIELDS (and `recurrence`) to new values."""
    if task.series_id is None:
        return []
    plain = {name: value for name, value in changes.items() if name in COPIED_FIELDS}
    if not plain:
        return []
    later = list(
        Task.objects.select_for_update()
        .filter(series_id=task.series_id, id__gt=task.id)
        .exclude(status=Status.COMPLETED)
    )
    history: list[TaskChange] = []
    for other in later:
        for name, value in plain.items():
            before = getattr(other, name)
            if before != value:
                history.append(
                    TaskChange(
                        task=other, actor=actor, field=name, before=_json(before), after=value
                    )
                )
                setattr(other, name, value)
        other.save(update_fields=[*plain, "updated_at"])
    TaskChange.objects.bulk_create(history)
    return later


def ensure_series(*, task: Task) -> None:
    """A task that gets a rule starts a series (its own id); one that loses it leaves none."""
    if task.recurrence and task.series_id is None:
        task.series_id = task.id
        Task.objects.filter(id=task.id).update(series_id=task.id)


@transaction.atomic
def create_next_occurrence(*, task: Task, actor: UserRef | None) -> Task | None:
    """Called when `task` became completed: make the series' next occurrence (once) and
    publish `tasks.task.created` with `occurrence_of`. None when the task does not recur,
    the rule has no further date, or the next one exists already (completed twice)."""
    if not task.recurrence:
        return None
    ensure_series(task=task)
    series_values = _series_values(task)

    def value(name: str) -> Any:
        return series_values.get(name, getattr(task, name))

    rule = value("recurrence")
    if not rule:
        return None
    due_date, due_at = task.due_date, task.due_at
    if "due_date" in series_values or "due_at" in series_values:
        raw_date, raw_at = series_values.get("due_date"), series_values.get("due_at")
        due_date = date.fromisoformat(raw_date) if raw_date else None
        due_at = datetime.fromisoformat(raw_at) if raw_at else None
    new_date, new_at = next_due(rule=rule, due_date=due_date, due_at=due_at)
    if new_date is None and new_at is None:
        return None
    due_sort = _due_sort(new_date, new_at)
    later = Task.objects.filter(series_id=task.series_id, id__gt=task.id)
    if later.filter(due_sort=due_sort).exists() or later.exclude(status=Status.COMPLETED).exists():
        return None  # completed, reopened and completed again: the next one is there
    top = Task.objects.filter(room_id=task.room_id, status=Status.PENDING).aggregate(
        top=Max("position")
    )["top"]
    parent_id = series_values.get("parent_id", task.parent_id)
    following = Task.objects.create(
        room_id=task.room_id,
        parent_id=parent_id,
        title=value("title"),
        description=value("description"),
        priority=value("priority"),
        estimate_minutes=value("estimate_minutes"),
        recurrence=rule,
        series_id=task.series_id,
        status=Status.PENDING,
        position=(top or 0) + POSITION_GAP,
        due_date=new_date,
        due_at=new_at,
        due_sort=due_sort,
        creator_id=task.creator_id,
    )
    label_ids = series_values.get("label_ids")
    if label_ids is None:
        label_ids = list(task.labels.values_list("id", flat=True))
    following.labels.set(label_ids)
    assignee_ids = series_values.get("assignee_ids")
    if assignee_ids is None:
        assignee_ids = list(task.assignments.values_list("user_id", flat=True))
    # Only people still in the room are assigned again.
    members = set(
        Membership.objects.filter(room_id=task.room_id, user_id__in=assignee_ids).values_list(
            "user_id", flat=True
        )
    )
    assignee_ids = [uid for uid in assignee_ids if _uuid(uid) in members]
    Assignment.objects.bulk_create(
        [Assignment(task=following, user_id=uid) for uid in assignee_ids]
    )
    TaskChange.objects.create(
        task=following,
        actor=actor,
        field="created",
        before=None,
        after={"occurrence_of": str(task.id), "series_id": str(task.series_id)},
    )
    room = task.room
    ref = {
        "room_id": str(room.id),
        "room_name": room.name,
        "task_id": str(following.id),
        "title": following.title,
        "room_kind": room.kind,
    }
    actor_id = actor.pk if actor is not None else (task.completed_by_id or task.creator_id)
    publish_event(
        type="tasks.task.created",
        key=following.id,
        actor=actor_id,
        data={
            **ref,
            "creator_id": str(following.creator_id or actor_id),
            "status": following.status,
            "priority": Priority(following.priority).label,
            "assignee_ids": [str(uid) for uid in assignee_ids],
            "parent_id": str(following.parent_id) if following.parent_id else None,
            "due_date": new_date.isoformat() if new_date else None,
            "due_at": new_at.isoformat() if new_at else None,
            "occurrence_of": str(task.id),
        },
    )
    if assignee_ids and actor_id:
        # A record for consumers that track assignments; nobody is told again each time.
        publish_event(
            type="tasks.task.assigned",
            key=following.id,
            actor=actor_id,
            data={
                **ref,
                "assignee_ids": [str(uid) for uid in assignee_ids],
                "actor_id": str(actor_id),
                "recipient_ids": [],
            },
        )
    return following


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
