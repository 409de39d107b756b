"""Writing the agenda: the projections of habits' events, a person's planned days, and the
planner's suggestions (made, accepted, ignored).

Projections take an event only when it is newer than what the row holds (`version`): the
consumer already runs each event once (ProcessedEvent), and this makes a late or replayed
older event change nothing. Each change that shows on someone's agenda publishes
`tasks.agenda.changed` (notifications turns it into a live frame on their sockets).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import Conflict, NotFound, ServiceError
from cotask_common.events.envelope import Event
from cotask_common.events.outbox import publish_event
from cotask_common.localtime import zone_named
from cotask_common.users.models import UserRef
from tasks.agenda import selectors
from tasks.agenda.models import (
    CardsOutlook,
    CheckinEntry,
    HabitEntry,
    PlannedDay,
    StudyDay,
    Suggestion,
    SuggestionStatus,
)
from tasks.planning.models import Status, Task

# ---------------------------------------------------------------------------------------------
# Live


def agenda_changed(*, owner_id: UUID, days: Iterable[date], reason: str) -> None:
    """Tell the person's sockets (through notifications) that these days of their agenda
    changed. Inside the change's transaction, like every event."""
    unique = sorted(set(days))[:8]
    if not unique:
        return
    publish_event(
        type="tasks.agenda.changed",
        key=owner_id,
        data={"owner_id": str(owner_id), "days": [d.isoformat() for d in unique], "reason": reason},
    )


def _today(owner_id: UUID, *, fallback_zone: str = "UTC") -> date:
    zone = UserRef.objects.filter(id=owner_id).values_list("time_zone", flat=True).first()
    return timezone.now().astimezone(zone_named(zone or fallback_zone)).date()


# ---------------------------------------------------------------------------------------------
# Projections of habits' events


def _uuid(value: Any) -> UUID:
    return UUID(str(value))


def _newer(row: Any, event: Event) -> bool:
    return row is None or row.version < event.occurred_at


@transaction.atomic
def habit_saved(*, event: Event) -> bool:
    data = event.data
    habit_id = _uuid(data["habit_id"])
    row = HabitEntry.objects.select_for_update().filter(habit_id=habit_id).first()
    if not _newer(row, event) or (row is not None and row.deleted):
        return False  # older than what we hold, or the habit is gone for good
    schedule = data["schedule"]
    values = {
        "owner_id": _uuid(data["owner_id"]),
        "name": str(data["habit_name"])[:100],
        "kind": schedule["kind"],
        "weekdays": sorted(int(d) for d in schedule.get("weekdays") or []),
        "times": int(schedule.get("times") or 1),
        "interval_days": int(schedule.get("interval_days") or 1),
        "start_date": date.fromisoformat(str(data["start_date"])),
        "archived": bool(data.get("archived")),
        # An event from before pauses travelled carries none.
        "pauses": [[str(p["start_date"]), str(p["end_date"])] for p in data.get("pauses") or []],
        "version": event.occurred_at,
    }
    HabitEntry.objects.update_or_create(habit_id=habit_id, defaults=values)
    owner = values["owner_id"]
    agenda_changed(
        owner_id=owner,
        days=[_today(owner, fallback_zone=str(data.get("time_zone")))],
        reason="habit",
    )
    return True


@transaction.atomic
def habit_deleted(*, event: Event) -> bool:
    habit_id = _uuid(event.data["habit_id"])
    owner = _uuid(event.data["owner_id"])
    row = HabitEntry.objects.select_for_update().filter(habit_id=habit_id).first()
    if row is not None and row.deleted:
        return False
    HabitEntry.objects.update_or_create(
        habit_id=habit_id,
        defaults={
            "owner_id": owner,
            "name": str(event.data.get("habit_name") or "")[:100],
            "kind": row.kind if row else "daily",
            "start_date": row.start_date if row else date.min,
            "deleted": True,
            "version": event.occurred_at,
        },
    )
    CheckinEntry.objects.filter(habit_id=habit_id).delete()
    agenda_changed(owner_id=owner, days=[_today(owner)], reason="habit")
    return True


@transaction.atomic
def checkin_changed(*, event: Event, done: bool) -> bool:
    """`habits.checkin.recorded` (its `done`) or `undone` (not done) of one habit and day."""
    habit_id, day = _uuid(event.data["habit_id"]), date.fromisoformat(str(event.data["day"]))
    owner = _uuid(event.data["owner_id"])
    row = CheckinEntry.objects.select_for_update().filter(habit_id=habit_id, day=day).first()
    if not _newer(row, event):
        return False
    CheckinEntry.objects.update_or_create(
        habit_id=habit_id,
        day=day,
        defaults={"owner_id": owner, "done": done, "version": event.occurred_at},
    )
    agenda_changed(owner_id=owner, days=[day], reason="checkin")
    return True


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@transaction.atomic
def cards_forecast(*, event: Event) -> bool:
    owner = _uuid(event.data["owner_id"])
    row = CardsOutlook.objects.select_for_update().filter(owner_id=owner).first()
    if not _newer(row, event):
        return False
    days = {str(d["day"]): int(d["cards"]) for d in event.data.get("days") or []}
    CardsOutlook.objects.update_or_create(
        owner_id=owner, defaults={"days": days, "version": event.occurred_at}
    )
    agenda_changed(owner_id=owner, days=[date.fromisoformat(d) for d in days], reason="cards")
    return True


@transaction.atomic
def review_summary(*, event: Event) -> None:
    """One study day's answers and time, and the average per answer of the person's last
    PACE_DAYS study days kept on their outlook (the cards' minutes are estimated from it)."""
    owner = _uuid(event.data["owner_id"])
    StudyDay.objects.update_or_create(
        owner_id=owner,
        day=date.fromisoformat(str(event.data["day"])),
        defaults={
            "reviews": max(0, int(event.data.get("reviews") or 0)),
            "duration_ms": max(0, int(event.data.get("duration_ms") or 0)),
        },
    )
    recent = StudyDay.objects.filter(owner_id=owner).order_by("-day")[: selectors.PACE_DAYS]
    reviews = ms = 0
    for n, spent in recent.values_list("reviews", "duration_ms"):
        reviews, ms = reviews + n, ms + spent
    pace = max(1, ms // reviews) if reviews and ms else None
    updated = CardsOutlook.objects.filter(owner_id=owner).update(answer_ms=pace)
    if not updated:
        CardsOutlook.objects.create(owner_id=owner, days={}, version=EPOCH, answer_ms=pace)


@transaction.atomic
def task_completed(*, task_id: UUID) -> int:
    """A completed task leaves the agenda of everyone it was on (its assignees, else its
    creator, and the owner of the personal space it is in), and its planned days and pending
    suggestions go (the planned-day reads stay small). Returns how many were told."""
    task = Task.objects.select_related("room").filter(id=task_id).first()
    if task is None:
        return 0
    if task.status == Status.COMPLETED:  # not reopened since the event
        PlannedDay.objects.filter(task_id=task.id).delete()
        Suggestion.objects.filter(task_id=task.id, status=SuggestionStatus.PENDING).delete()
    people = set(task.assignments.values_list("user_id", flat=True))
    if not people and task.creator_id is not None:
        people.add(task.creator_id)
    if task.room.kind == "personal":
        people.add(task.room.owner_id)
    zones = dict(UserRef.objects.filter(id__in=people).values_list("id", "time_zone"))
    for person in people:
        zone = zone_named(zones.get(person))
        days = [timezone.now().astimezone(zone).date()]
        if task.due_at is not None:
            days.append(task.due_at.astimezone(zone).date())
        elif task.due_date is not None:
            days.append(task.due_date)
        agenda_changed(owner_id=person, days=days, reason="task")
    return len(people)


# ---------------------------------------------------------------------------------------------
# Planned days


def _my_task(*, user: UserRef, task_id: Any, lock: bool = False) -> Task:
    """One of the person's open tasks (the agenda's), else the same 404 for every other."""
    try:
        wanted = UUID(str(task_id))
    except ValueError:
        raise NotFound(_("No task with this id."), code="task_not_found") from None
    rooms, space = selectors.my_rooms(user_id=user.id)
    rows = selectors.my_tasks(user_id=user.id, rooms=rooms, space=space).filter(id=wanted)
    if lock:
        rows = rows.select_for_update(of=("self",))
    task = rows.first()
    if task is None:
        raise NotFound(_("No task with this id."), code="task_not_found")
    return task


def _check_undated(task: Task) -> None:
    if task.due_date is not None or task.due_at is not None:
        raise ServiceError.for_field(
            "day",
            _("This task has a deadline: it is on its deadline's day."),
            code="has_deadline",
        )


def plan_task(*, user: UserRef, task_id: Any, day: date | None) -> PlannedDay | None:
    """Plan one of my tasks without a deadline for `day` (None: unplan it). Only my agenda
    changes; the task itself, and everyone else's plans, stay."""
    with transaction.atomic():
        task = _my_task(user=user, task_id=task_id, lock=True)
        _check_undated(task)
        before = PlannedDay.objects.filter(user_id=user.id, task_id=task.id).first()
        days = [before.day] if before else []
        if day is None:
            PlannedDay.objects.filter(user_id=user.id, task_id=task.id).delete()
            planned = None
        else:
            planned, _created = PlannedDay.objects.update_or_create(
                user_id=user.id, task_id=task.id, defaults={"day": day}
            )
            days.append(day)
        Suggestion.objects.filter(
            user_id=user.id, task_id=task.id, status=SuggestionStatus.PENDING
        ).delete()
        agenda_changed(owner_id=user.id, days=days, reason="plan")
    return planned


# ---------------------------------------------------------------------------------------------
# The planner


def plan_moves(
    days: list[selectors.Day], *, capacity: int, today: date
) -> list[tuple[Any, date, date]]:
    """Greedy levelling: while a day is over `capacity` minutes, move its movable tasks (no
    deadline; the lowest priority, then the longest, first) to the lightest later-or-equal day
    of the window (never before today) that stays within capacity. Returns (item, from, to).
    Pure: the loads of tasks, habits and cards are in the `Day`s."""
    load = {d.day: d.total_minutes for d in days}
    moves: list[tuple[Any, date, date]] = []
    for entry in days:
        if entry.day < today:
            continue
        candidates = sorted(
            (i for i in entry.tasks if i.movable),
            key=lambda i: (i.task.priority, -i.minutes, str(i.task.id)),
        )
        for item in candidates:
            if load[entry.day] <= capacity:
                break
            targets = [
                d
                for d in load
                if d != entry.day and d >= today and load[d] + item.minutes <= capacity
            ]
            if not targets:
                continue
            target = min(targets, key=lambda d: (load[d], d))
            load[entry.day] -= item.minutes
            load[target] += item.minutes
            moves.append((item, entry.day, target))
    return moves


@transaction.atomic
def suggest(*, user: UserRef, time_zone: str, now: datetime | None = None) -> list[Suggestion]:
    """Suggestions for my next seven days (today included), replacing my pending ones. Nothing
    moves until I accept one."""
    now = now or timezone.now()
    today = now.astimezone(zone_named(time_zone)).date()
    result = selectors.agenda(
        user_id=user.id, time_zone=time_zone, first=today, count=selectors.MAX_DAYS, now=now
    )
    moves = plan_moves(result.days, capacity=selectors.day_minutes(), today=today)
    Suggestion.objects.filter(user_id=user.id, status=SuggestionStatus.PENDING).delete()
    return Suggestion.objects.bulk_create(
        [
            Suggestion(
                user_id=user.id,
                task_id=item.task.id,
                from_day=source,
                to_day=target,
                minutes=item.minutes,
            )
            for item, source, target in moves
        ]
    )


def _pending(*, user: UserRef, suggestion_id: Any) -> Suggestion:
    """My suggestion, locked; another person's is a 404 like one that never was."""
    try:
        wanted = UUID(str(suggestion_id))
    except ValueError:
        wanted = None
    row = (
        Suggestion.objects.select_for_update().filter(id=wanted, user_id=user.id).first()
        if wanted
        else None
    )
    if row is None:
        raise NotFound(_("No suggestion with this id."), code="suggestion_not_found")
    if row.status != SuggestionStatus.PENDING:
        raise Conflict(_("This suggestion was already answered."), code="already_answered")
    return row


@transaction.atomic
def accept(*, user: UserRef, suggestion_id: Any, time_zone: str) -> Suggestion:
    """Move the task to the suggested day, if it is still where the suggestion found it."""
    row = _pending(user=user, suggestion_id=suggestion_id)
    today = timezone.now().astimezone(zone_named(time_zone)).date()
    try:
        task = _my_task(user=user, task_id=row.task_id, lock=True)
        _check_undated(task)
    except ServiceError:
        task = None
    planned = PlannedDay.objects.filter(user_id=user.id, task_id=row.task_id).first()
    if task is None or planned is None or max(planned.day, today) != row.from_day:
        raise Conflict(
            _("The task changed since this suggestion was made: ask for new ones."),
            code="suggestion_stale",
        )
    planned.day = row.to_day
    planned.save(update_fields=["day"])
    row.status, row.decided_at = SuggestionStatus.ACCEPTED, timezone.now()
    row.save(update_fields=["status", "decided_at"])
    agenda_changed(owner_id=user.id, days=[row.from_day, row.to_day], reason="plan")
    return row


@transaction.atomic
def ignore(*, user: UserRef, suggestion_id: Any) -> Suggestion:
    """Leave the task where it is; the suggestion is answered."""
    row = _pending(user=user, suggestion_id=suggestion_id)
    row.status, row.decided_at = SuggestionStatus.IGNORED, timezone.now()
    row.save(update_fields=["status", "decided_at"])
    return row
