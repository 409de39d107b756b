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
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import ServiceError
from cotask_common.users.models import UserRef
from tasks.planning import services
from tasks.planning.models import Priority, Status, Task, TaskChange
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
            raise _unsupported(_("«%(part)s» is not NAME=VALUE.") % {"part": chunk[:40]})
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


def clean_rule(*, rule: Any) -> str:
    """The extension point `planning.services.create_task/update_task` call."""
    return normalize_recurrence(rule)


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


# History rows (`TaskChange`) name fields as the API shows them; the next occurrence is made
# with create_task's arguments.
_FROM_HISTORY = {
    "title": "title",
    "description": "description",
    "priority": "priority",
    "estimate_minutes": "estimate_minutes",
    "due": "due",
    "assignees": "assignee_ids",
    "labels": "label_ids",
    "parent_id": "parent_id",
}


def remember_series_values(*, task: Task, actor: UserRef | None, rows: list[TaskChange]) -> None:
    """An edit with `scope=this` of a recurring task: keep the values the series had before
    (from the edit's history rows) in one history row `field="scope"`, so the next occurrence
    is made from them and the one-off change stays with this occurrence. The rule itself is a
    property of the series: changing it always holds for the following occurrences too.
    Inside the edit's transaction."""
    if not (task.recurrence or task.series_id):
        return
    kept = {_FROM_HISTORY[row.field]: row.before for row in rows if row.field in _FROM_HISTORY}
    if not kept:
        return
    ensure_series(task=task)
    TaskChange.objects.create(task=task, actor=actor, field="scope", before=kept, after="this")


def _series_values(task: Task) -> dict[str, Any]:
    """The values the series had before this occurrence's one-off (`scope=this`) edits."""
    values: dict[str, Any] = {}
    rows = TaskChange.objects.filter(task=task, field="scope").order_by("id")
    for row in rows.values_list("before", flat=True):
        for name, value in (row or {}).items():
            values.setdefault(name, value)  # the earliest one-off edit knew the series value
    return values


# What an edit with scope=following hands on to the later open occurrences. The deadline is
# not: each occurrence's deadline comes from the rule.
_FOLLOWING = (
    "title",
    "description",
    "priority",
    "estimate_minutes",
    "recurrence",
    "assignee_ids",
    "label_ids",
)


def apply_to_following(*, task: Task, actor: UserRef, fields: dict[str, Any]) -> list[UUID]:
    """An edit with `scope=following`: the same changes on the series' later open occurrences
    (made after `task`, not completed), each with its own history and events. Returns their
    ids. Inside the edit's transaction (the room is locked)."""
    if task.series_id is None:
        ensure_series(task=task)
        return []
    changes = {name: value for name, value in fields.items() if name in _FOLLOWING}
    if not changes:
        return []
    later = list(
        Task.objects.filter(series_id=task.series_id, id__gt=task.id)
        .exclude(status=Status.COMPLETED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for other_id in later:
        # scope "series": neither remembered as a one-off nor handed on again.
        services.update_task(actor=actor, task_id=other_id, scope="series", **changes)
    return later


def ensure_series(*, task: Task) -> None:
    """A recurring task starts a series (its own id) the first time it needs one."""
    if task.series_id is None:
        task.series_id = task.id
        Task.objects.filter(id=task.id).update(series_id=task.id)


def on_completed(*, task: Task, actor: UserRef) -> Task | None:
    """The extension point `planning.services` calls when a task became completed: make the
    series' next occurrence (once) with create_task, which publishes `tasks.task.created`
    with `occurrence_of`. None when the task does not recur, the rule has no further date, or
    the next one exists already (completed, reopened and completed again)."""
    if not task.recurrence:
        return None
    ensure_series(task=task)
    series = _series_values(task)
    due_date, due_at = task.due_date, task.due_at
    if "due" in series:
        before = series["due"] or {}
        due_date = date.fromisoformat(before["date"]) if before.get("date") else None
        due_at = (
            datetime.fromisoformat(before["at"].replace("Z", "+00:00"))
            if before.get("at")
            else None
        )
    new_date, new_at = next_due(rule=task.recurrence, due_date=due_date, due_at=due_at)
    if new_date is None and new_at is None:
        return None
    if Task.objects.filter(series_id=task.series_id, id__gt=task.id).exists():
        return None
    if "assignees" in series or "assignee_ids" in series:
        assignee_ids = series["assignee_ids"]
    else:
        assignee_ids = [str(i) for i in task.assignments.values_list("user_id", flat=True)]
    # Only people still in the room are assigned again.
    still_members = {
        str(uid)
        for uid in Membership.objects.filter(
            room_id=task.room_id, user_id__in=assignee_ids
        ).values_list("user_id", flat=True)
    }
    if "label_ids" in series:
        label_ids = series["label_ids"]
    else:
        label_ids = [str(i) for i in task.labels.values_list("id", flat=True)]
    priority = series.get("priority")
    return services.create_task(
        actor=actor,
        room_id=task.room_id,
        title=series.get("title", task.title),
        description=series.get("description", task.description),
        status=Status.PENDING,
        priority=Priority[priority.upper()].value if priority else task.priority,
        due=new_at or new_date,
        estimate_minutes=series.get("estimate_minutes", task.estimate_minutes),
        assignee_ids=[uid for uid in assignee_ids if uid in still_members],
        label_ids=label_ids,
        parent_id=series.get("parent_id", task.parent_id),
        recurrence=task.recurrence,
        series_id=task.series_id,
        occurrence_of=task,
    )
