"""Reads of habits, their pauses and check-ins. Every read of one habit goes through `habit_of`
first: a habit of someone else, a missing id and a malformed one are the same 404, so nobody
learns whether a habit exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound

from habits.tracking import hot_sql
from habits.tracking.evaluation import today_figures, week_start
from habits.tracking.models import Checkin, Habit, Pause


class HabitNotFound(NotFound):
    default_detail = _("No habit with this id.")
    default_code = "habit_not_found"


def habit_of(*, user: Any, habit_id: Any, lock: bool = False) -> Habit:
    """The caller's own habit (with its owner loaded, for the zone). `lock` takes the habit
    row's lock: every write of a habit's check-ins, pauses and figures holds it."""
    try:
        habit_uuid = habit_id if isinstance(habit_id, UUID) else UUID(str(habit_id))
    except ValueError:
        raise HabitNotFound() from None
    if lock:
        # Every write of a habit starts here: the hand-written statement on PostgreSQL.
        locked = hot_sql.locked_habit if hot_sql.enabled() else hot_sql.locked_habit_orm
        habit = locked(habit_id=habit_uuid, owner_id=user.id)
    else:
        habit = (
            Habit.objects.select_related("owner").filter(id=habit_uuid, owner_id=user.id).first()
        )
    if habit is None:
        raise HabitNotFound()
    return habit


def habits_of(*, user: Any, archived: bool | None = False, today: date) -> QuerySet[Habit]:
    """The caller's habits (active by default, archived with `archived=True`, all with None),
    each with the check-ins of today's week and the pauses touching it prefetched: today's
    state and progress need nothing else (two queries for the whole page)."""
    habits = Habit.objects.filter(owner_id=user.id).select_related("owner")
    if archived is not None:
        habits = habits.filter(archived_at__isnull=not archived)
    monday = week_start(today)
    return habits.prefetch_related(
        Prefetch(
            "checkins",
            queryset=Checkin.objects.filter(day__gte=monday, day__lte=today).only(
                "habit_id", "day", "value"
            ),
            to_attr="week_checkins",
        ),
        Prefetch(
            "pauses",
            queryset=Pause.objects.filter(start_date__lte=today, end_date__gte=monday),
            to_attr="week_pauses",
        ),
    )


def with_today(habit: Habit, *, today: date) -> Habit:
    """One habit with `today` figures attached (what `habits_of` prefetches for a page)."""
    monday = week_start(today)
    habit.week_checkins = list(  # type: ignore[attr-defined]
        Checkin.objects.filter(habit=habit, day__gte=monday, day__lte=today).only(
            "habit_id", "day", "value"
        )
    )
    habit.week_pauses = list(  # type: ignore[attr-defined]
        Pause.objects.filter(habit=habit, start_date__lte=today, end_date__gte=monday)
    )
    return habit


def today_of(habit: Habit, *, today: date) -> dict[str, Any]:
    """Today's state and progress of a habit loaded by `habits_of` or `with_today`."""
    values = {c.day: c.value for c in habit.week_checkins}  # type: ignore[attr-defined]
    return today_figures(habit, values=values, pauses=habit.week_pauses, today=today)  # type: ignore[attr-defined]


def pauses_of(*, user: Any, habit_id: Any) -> QuerySet[Pause]:
    habit = habit_of(user=user, habit_id=habit_id)
    return Pause.objects.filter(habit=habit)


def checkins_of(
    *, user: Any, habit_id: Any, start: date | None = None, end: date | None = None
) -> QuerySet[Checkin]:
    """The habit's check-ins with `start <= day <= end` (either bound optional)."""
    habit = habit_of(user=user, habit_id=habit_id)
    checkins = Checkin.objects.filter(habit=habit)
    if start is not None:
        checkins = checkins.filter(day__gte=start)
    if end is not None:
        checkins = checkins.filter(day__lte=end)
    return checkins


def history_rows(
    *, habit: Habit, through: date, after: date | None = None
) -> tuple[dict[date, Any], list[Pause]]:
    """Every check-in value up to `through` and every pause of the habit, in ONE query (a
    UNION of the two tables, pauses as rows with an end date): what the engine needs to tell
    each day's state, freezes included. With `after` (a stored engine state's day) only the
    check-ins after it and the pauses ending after it."""
    from django.db.models import DateField, DecimalField, Value

    first = habit.start_date if after is None else max(habit.start_date, after + timedelta(1))
    # No ORDER BY on either side: SQLite refuses one inside a compound statement.
    checkins = (
        Checkin.objects.filter(habit_id=habit.id, day__gte=first, day__lte=through)
        .order_by()
        .values_list("day", "value", Value(None, output_field=DateField()))
    )
    pause_rows_q = Pause.objects.filter(habit_id=habit.id)
    if after is not None:
        pause_rows_q = pause_rows_q.filter(end_date__gt=after)
    pauses = pause_rows_q.order_by().values_list(
        "start_date",
        Value(None, output_field=DecimalField(max_digits=12, decimal_places=3)),
        "end_date",
    )
    values: dict[date, Any] = {}
    pause_rows: list[Pause] = []
    for day, value, end in checkins.union(pauses, all=True):
        if end is None:
            values[day] = value
        else:
            pause_rows.append(Pause(habit_id=habit.id, start_date=day, end_date=end))
    pause_rows.sort(key=lambda p: p.start_date)
    return values, pause_rows


@dataclass
class DayRow:
    """The stored check-in of one day, as a check-in's history read finds it."""

    id: int
    note: str
    created_at: Any


def recent_history(
    *, habit: Habit, after: date | None, through: date, day: date
) -> tuple[dict[date, Any], list[Pause], DayRow | None]:
    """What a check-in or an undo of `day` needs, in ONE query (a UNION like `history_rows`):
    the check-in values after `after` (all from the start with None) up to `through`, the
    pauses that end after `after`, and `day`'s own row if there is one (its id, note and
    creation time, so the write that follows needs no read of its own)."""
    first = habit.start_date if after is None else max(habit.start_date, after + timedelta(1))
    # `day` itself even before the start (a start moved later leaves its check-ins to undo).
    read = hot_sql.history if hot_sql.enabled() else hot_sql.history_orm
    rows = read(habit_id=habit.id, first=first, through=through, day=day, after=after)
    values: dict[date, Any] = {}
    pause_rows: list[Pause] = []
    row: DayRow | None = None
    for found, value, end, pk, note, created_at in rows:
        if end is None:
            if first <= found <= through:
                values[found] = value
            if found == day:
                row = DayRow(id=pk, note=note, created_at=created_at)
        else:
            pause_rows.append(Pause(habit_id=habit.id, start_date=found, end_date=end))
    pause_rows.sort(key=lambda p: p.start_date)
    return values, pause_rows, row


def attach_today(
    habit: Habit, *, values: dict[date, Any], pauses: list[Pause], today: date
) -> Habit:
    """`with_today` from rows already read (a check-in's history covers today's week)."""
    monday = week_start(today)
    habit.week_checkins = [  # type: ignore[attr-defined]
        Checkin(habit_id=habit.id, day=d, value=v)
        for d, v in values.items()
        if monday <= d <= today
    ]
    habit.week_pauses = [  # type: ignore[attr-defined]
        p for p in pauses if p.start_date <= today and p.end_date >= monday
    ]
    habit.week_day = today  # type: ignore[attr-defined]
    return habit


def window(today: date) -> tuple[date, date]:
    """The days a check-in may be dated: 7 days back through today."""
    from habits.tracking.evaluation import CHECKIN_DAYS_BACK

    return today - timedelta(days=CHECKIN_DAYS_BACK), today
