"""The bridge between the habit rows and the pure engine (`habits.engine`): specs built from a
`Habit`, the owner's "today", and the one place that turns an engine `Evaluation` into the
cached figures on the row.

The engine works on calendar dates in the owner's zone only; this module is where a zone meets
a date (the request's `tz` claim wins, else the account's `UserRef.time_zone`, else UTC).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from cotask_common.localtime import zone_named
from cotask_common.users.models import UserRef
from habits.tracking.models import Habit, Pause, ScheduleKind

# Days back a check-in (or an undo, or a pause's start) may be dated: today and 7 before it.
CHECKIN_DAYS_BACK = 7


def _engine() -> Any:
    # Imported when used, so the API's modules load (and their errors show) on their own.
    import habits.engine as engine

    return engine


def weekdays_of(habit: Habit) -> list[int]:
    return [d for d in range(7) if habit.weekday_mask >> d & 1]


def schedule_spec(habit: Habit) -> Any:
    engine = _engine()
    return engine.ScheduleSpec(
        kind=habit.schedule_kind,
        start_date=habit.start_date,
        weekdays=frozenset(weekdays_of(habit))
        if habit.schedule_kind == "weekdays"
        else frozenset(),
        times=habit.times,
        interval_days=habit.interval_days,
    )


def target_spec(habit: Habit) -> Any:
    engine = _engine()
    return engine.TargetSpec(
        kind=habit.kind,
        target_value=habit.target_value if habit.kind == "measurable" else None,
        direction=habit.target_direction,
    )


def day_ranges(pauses: Iterable[Pause]) -> list[Any]:
    engine = _engine()
    return [engine.DayRange(start=p.start_date, end=p.end_date) for p in pauses]


def streak_unit(habit: Habit) -> str:
    return "week" if habit.schedule_kind == ScheduleKind.TIMES_PER_WEEK else "day"


# ---------------------------------------------------------------------------------------------
# Zones and today


def zone_for(*, user: Any = None, owner: UserRef | None = None) -> ZoneInfo:
    """The zone a person's days are counted in: the request's token `tz` claim, else the
    account's saved zone (`owner` if loaded, else one lookup), else UTC."""
    claims = getattr(user, "claims", None) or {}
    claimed = claims.get("tz")
    if isinstance(claimed, str) and claimed:
        return zone_named(claimed)
    if owner is None and isinstance(user, UserRef):
        owner = user
    if owner is not None:
        return zone_named(owner.time_zone)
    if user is not None:
        name = UserRef.objects.filter(id=user.id).values_list("time_zone", flat=True).first()
        return zone_named(name)
    return ZoneInfo("UTC")


def today_in(zone: ZoneInfo, *, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone).date()


def next_midnight(zone: ZoneInfo, *, now: datetime | None = None) -> datetime:
    """The next start of a day in `zone`, in UTC (when the beat next closes a day)."""
    return _engine().next_local_midnight(zone, now or timezone.now())


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# ---------------------------------------------------------------------------------------------
# Engine calls


def evaluate(
    habit: Habit, *, values: Mapping[date, Decimal], pauses: Iterable[Pause], today: date
) -> Any:
    engine = _engine()
    return engine.evaluate(
        schedule_spec(habit),
        target_spec(habit),
        values=values,
        pauses=day_ranges(pauses),
        today=today,
    )


def evaluate_from(
    habit: Habit,
    *,
    values: Mapping[date, Decimal],
    pauses: Iterable[Pause],
    today: date,
    resume: Any = None,
) -> tuple[Any, dict[str, Any]]:
    """`evaluate`, walking on from the engine state `resume` (a `WalkState`, None: from the
    start), and the `Habit.engine_state` to store: `walk`, the state through `keep_day` (where
    the next check-in resumes), and `year`, the state just before this year's first period
    (where this year's heatmap starts), kept from before when this walk started after it."""
    year_keep = year_start_keep(habit, year=today.year)
    result, kept = _engine().evaluate_from(
        schedule_spec(habit),
        target_spec(habit),
        values=values,
        pauses=day_ranges(pauses),
        today=today,
        resume=resume,
        keeps=(keep_day(habit, today=today), year_keep),
    )
    year = kept[year_keep]
    if year.through != year_keep:  # walked on from a later state: the stored one stands
        year = year_state(habit, year=today.year, today=today)
    return result, {
        "walk": kept[keep_day(habit, today=today)].to_json(),
        "year": year.to_json() if year is not None else None,
    }


def year_start_keep(habit: Habit, *, year: int) -> date:
    """The day before `year`'s first period (for N per week: before the week of 1 January)."""
    first = date(year, 1, 1)
    if habit.schedule_kind == ScheduleKind.TIMES_PER_WEEK:
        first = week_start(first)
    return first - timedelta(days=1)


def _stored(habit: Habit, part: str) -> Any:
    data = habit.engine_state
    if not isinstance(data, dict) or not data.get(part):
        return None
    try:
        return _engine().WalkState.from_json(data[part])
    except (KeyError, TypeError, ValueError):
        return None  # a state of an older shape: recount


def year_state(habit: Habit, *, year: int, today: date) -> Any:
    """The stored state just before `year`'s first period, if it is that year's and in the
    past (`today` after it), else None: the heatmap of `year` starts its walk there."""
    state = _stored(habit, "year")
    if state is None or state.through != year_start_keep(habit, year=year):
        return None
    return state if state.through < today else None


def keep_day(habit: Habit, *, today: date) -> date:
    """The last day no check-in, undo or new pause can change any more as of `today` (the day
    before the 7-day window; for N per week the Sunday before the window's first week): the
    engine state stored on the habit walks through it."""
    earliest = today - timedelta(days=CHECKIN_DAYS_BACK)
    if habit.schedule_kind == ScheduleKind.TIMES_PER_WEEK:
        earliest = week_start(earliest)
    return earliest - timedelta(days=1)


def resume_state(habit: Habit, *, changed: date) -> Any:
    """The habit's stored engine state if a change of the day `changed` lies after it (for N
    per week: the change's whole week), else None (the change needs a whole recount)."""
    state = _stored(habit, "walk")
    if state is None:
        return None
    first = week_start(changed) if habit.schedule_kind == ScheduleKind.TIMES_PER_WEEK else changed
    return state if state.through < first else None


def day_states(
    habit: Habit,
    *,
    values: Mapping[date, Decimal],
    pauses: Iterable[Pause],
    start: date,
    end: date,
    today: date,
    resume: Any = None,
) -> dict[date, Any]:
    engine = _engine()
    return engine.day_states(
        schedule_spec(habit),
        target_spec(habit),
        values=values,
        pauses=day_ranges(pauses),
        start=start,
        end=end,
        today=today,
        resume=resume,
    )


def is_done(habit: Habit, value: Decimal) -> bool:
    return bool(_engine().is_done(target_spec(habit), schedule_spec(habit), Decimal(value)))


def period_gap_days(habit: Habit) -> int:
    """The shortest distance in days between two of the habit's periods (one week for N per
    week): used to tell a new streak from the same streak whose first day was undone."""
    if habit.schedule_kind == ScheduleKind.TIMES_PER_WEEK:
        return 7
    if habit.schedule_kind == ScheduleKind.EVERY_N_DAYS:
        return habit.interval_days
    return 1


def today_figures(
    habit: Habit, *, values: Mapping[date, Decimal], pauses: Iterable[Pause], today: date
) -> dict[str, Any]:
    """Today's state and progress, from the check-ins of the current week (all a day's or a
    week's state needs: the streak figures are the row's cached ones). The state walks the open
    period only (`engine.today_state`), not the year before it."""
    state = _engine().today_state(
        schedule_spec(habit),
        target_spec(habit),
        values=values,
        pauses=day_ranges(pauses),
        today=today,
    )
    value = values.get(today)
    done_today = value is not None and is_done(habit, value)
    progress: dict[str, Any]
    if habit.schedule_kind == ScheduleKind.TIMES_PER_WEEK:
        monday = week_start(today)
        done_days = sum(
            1 for day, v in values.items() if monday <= day <= today and is_done(habit, v)
        )
        progress = {"done": done_days, "target": habit.times, "unit": "days_this_week"}
    elif habit.kind == "measurable":
        progress = {
            "done": float(value or 0),
            "target": float(habit.target_value or 0),
            "unit": habit.unit,
        }
    elif habit.schedule_kind == ScheduleKind.TIMES_PER_DAY:
        progress = {"done": float(value or 0), "target": habit.times, "unit": "times_today"}
    else:
        progress = {"done": 1 if done_today else 0, "target": 1, "unit": ""}
    ratio = progress["done"] / progress["target"] if progress["target"] else 0.0
    if habit.kind == "measurable" and habit.target_direction == "at_most":
        ratio = 1.0 if done_today else 0.0
    progress["ratio"] = round(min(1.0, ratio), 4)
    return {
        "day": today,
        "state": str(state),
        "value": float(value) if value is not None else None,
        "done": done_today,
        "progress": progress,
    }
