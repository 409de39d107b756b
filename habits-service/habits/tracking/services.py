"""Writes on habits: create, edit, archive, order, delete; pauses; check-ins and their undo; and
what an account's deletion does. Each runs in one transaction that also writes its events to
the outbox (`habits.habit.saved` / `.deleted`, `habits.checkin.recorded` / `.undone`,
`habits.streak.milestone`).

Every change that can move a streak (a pause, a schedule, target or start change, the beat's day
close) re-evaluates the habit with the engine over its raw rows and stores the figures
(`refresh_figures`) with the engine's walk state through the day before the 7-day check-in
window (`Habit.engine_state`). A check-in or an undo walks on from that state over the days
after it only (`_record_figures`), which gives exactly the figures of a recount because nothing
on or before that day can have changed since (anything that could recounts and stores a new
state; a property test checks the equality on generated histories).

Reminders and the day closing (`habits.tracking.reminders`, the beat's work) learn of every
change through `_changed`: when that module has a `habit_changed(*, habit, today, what)`, it is
called inside the same transaction after a check-in, an undo, a pause change, a schedule or
start change and an archive change (`what` says which), so `next_fire_at` stays right.

Lock order: the habit row (`habit_of(..., lock=True)`, which is also the owner check) before
any check-in or pause row, so two check-ins of one habit never evaluate a half-written history.
"""

from __future__ import annotations

import functools
import importlib
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cotask_common.contracts.habits import MAX_PAUSES, STREAK_MILESTONES
from cotask_common.errors import Conflict, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.openapi import trimmed_text_pattern
from habits.tracking import evaluation, hot_sql
from habits.tracking.models import (
    Checkin,
    Habit,
    HabitKind,
    Pause,
    ScheduleKind,
    TargetDirection,
)
from habits.tracking.selectors import attach_today, habit_of, history_rows, recent_history

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
ICON_MAX_LENGTH = 32
UNIT_MAX_LENGTH = 24
NOTE_MAX_LENGTH = 1000
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
# The largest value a check-in or a target holds (12 digits, 3 after the point).
MAX_VALUE = Decimal("999999999.999")
MAX_PAUSE_DAYS = 366
MAX_HABITS = 500
INTERVAL_MAX = 365
TIMES_PER_DAY_MAX = 24

# Fields of a habit a PATCH may change; the schedule and target ones re-evaluate the streak.
HABIT_FIELDS = (
    "name",
    "description",
    "color",
    "icon",
    "kind",
    "target_value",
    "target_direction",
    "unit",
    "schedule_kind",
    "weekdays",
    "times",
    "interval_days",
    "start_date",
)
RECOUNT_FIELDS = {
    "kind",
    "target_value",
    "target_direction",
    "schedule_kind",
    "weekday_mask",
    "times",
    "interval_days",
    "start_date",
}


class CheckinNotFound(NotFound):
    code = "checkin_not_found"

    def __init__(self) -> None:
        super().__init__(_("No check-in on this day."), code="checkin_not_found")


class PauseNotFound(NotFound):
    code = "pause_not_found"

    def __init__(self) -> None:
        super().__init__(_("No pause with this id."), code="pause_not_found")


def _field_error(field: str, message: str, code: str = "invalid") -> ServiceError:
    return ServiceError.for_field(field, message, code=code)


# ---------------------------------------------------------------------------------------------
# Events


def _ref(habit: Habit) -> dict[str, Any]:
    return {"habit_id": habit.id, "owner_id": habit.owner_id, "habit_name": habit.name}


def _publish_saved(habit: Habit, *, actor: Any) -> None:
    zone = evaluation.zone_for(owner=habit.owner)
    publish_event(
        type="habits.habit.saved",
        key=habit.id,
        actor=actor,
        data={
            **_ref(habit),
            "schedule": {
                "kind": habit.schedule_kind,
                "weekdays": evaluation.weekdays_of(habit)
                if habit.schedule_kind == ScheduleKind.WEEKDAYS
                else [],
                "times": habit.times,
                "interval_days": habit.interval_days,
            },
            "start_date": habit.start_date,
            "time_zone": zone.key,
            "archived": habit.archived_at is not None,
            # Current and future ones only: the agenda shows no day before today's.
            "pauses": [
                {"start_date": p.start_date, "end_date": p.end_date}
                for p in Pause.objects.filter(
                    habit=habit, end_date__gte=evaluation.today_in(zone)
                ).order_by("start_date")
            ],
        },
    )


def _publish_deleted(habit: Habit, *, actor: Any) -> None:
    publish_event(type="habits.habit.deleted", key=habit.id, actor=actor, data=_ref(habit))


def _streak(habit: Habit) -> dict[str, Any]:
    return {
        "current_streak": habit.current_streak,
        "best_streak": habit.best_streak,
        "streak_unit": evaluation.streak_unit(habit),
    }


def _changed(habit: Habit, *, today: date, what: str) -> None:
    """Tell the reminders of `habit` what changed (see the module docstring)."""
    try:
        reminders = importlib.import_module("habits.tracking.reminders")
    except ModuleNotFoundError as exc:
        if exc.name != "habits.tracking.reminders":
            raise
        return
    hook = getattr(reminders, "habit_changed", None)
    if hook is not None:
        hook(habit=habit, today=today, what=what)


# ---------------------------------------------------------------------------------------------
# Figures


def refresh_figures(habit: Habit, *, today: date, actor: Any = None) -> Any:
    """Evaluate the (locked) habit over all its check-ins and pauses as of `today`, store the
    figures, and publish `habits.streak.milestone` for a milestone the current streak reached
    first. Returns the engine's `Evaluation`. Other writers of the figures (the beat's day
    closing) call this too, so the milestone guard lives in one place."""
    values, pauses = history_rows(habit=habit, through=today)
    result, kept = evaluation.evaluate_from(habit, values=values, pauses=pauses, today=today)
    _apply(habit, result, kept, actor=actor)
    return result


def _record_figures(
    habit: Habit,
    *,
    values: dict[date, Any],
    pauses: list[Pause],
    today: date,
    resume: Any,
    actor: Any,
    checkin: tuple[Checkin, bool] | None = None,
) -> None:
    """A check-in's or an undo's figures: the engine walks on from `resume` (the stored state;
    None = from the start, `values` then being the whole history) and the habit keeps today's
    week for its answer (`selectors.attach_today`). `checkin`: the check-in to store with the
    figures and whether its note changed (see `_apply`)."""
    result, kept = evaluation.evaluate_from(
        habit, values=values, pauses=pauses, today=today, resume=resume
    )
    _apply(habit, result, kept, actor=actor, checkin=checkin)
    attach_today(habit, values=values, pauses=pauses, today=today)


def _apply(
    habit: Habit,
    result: Any,
    kept: Any,
    *,
    actor: Any,
    checkin: tuple[Checkin, bool] | None = None,
) -> None:
    old_start, published = habit.streak_started_on, habit.milestone_published
    new_start = result.streak_started_on
    # A milestone is told once per streak. A later start is a new streak only when it lies
    # beyond what undoing the old streak's first period could move it by: a streak that
    # reached milestone M spans at least M periods, so a start moved by at most M periods is
    # the same streak (its first day was undone) and redoing that day tells nothing twice.
    if (
        new_start is not None
        and old_start is not None
        and (new_start - old_start).days > published * evaluation.period_gap_days(habit)
    ):
        published = 0
    reached = [m for m in STREAK_MILESTONES if published < m <= result.current_streak]
    habit.current_streak = result.current_streak
    habit.best_streak = result.best_streak
    habit.freezes_held = result.freezes_held
    habit.strength = float(result.strength)
    if new_start is not None:
        habit.streak_started_on = new_start
    if reached:
        # Only the highest: a back-dated check-in joining two runs tells one milestone.
        published = reached[-1]
        publish_event(
            type="habits.streak.milestone",
            key=habit.id,
            actor=actor,
            data={**_ref(habit), "length": published, "streak_unit": result.streak_unit},
        )
    habit.milestone_published = published
    habit.engine_state = kept
    # `hot_sql.FIGURE_FIELDS` and `updated_at`: a prepared UPDATE on PostgreSQL, carrying a
    # check-in's insert or update when there is one (a query fewer per check-in).
    sql = hot_sql.enabled()
    if checkin is None:
        (hot_sql.save_figures if sql else hot_sql.save_figures_orm)(habit)
    else:
        save = hot_sql.save_figures_with_checkin if sql else hot_sql.save_figures_with_checkin_orm
        save(habit, checkin[0], note_changed=checkin[1])


# ---------------------------------------------------------------------------------------------
# Validation


def _decimal(field: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _field_error(field, _("Enter a number.")) from None
    if not number.is_finite():
        raise _field_error(field, _("Enter a number."))
    if abs(number) > MAX_VALUE:
        raise _field_error(
            field, _("At most %(max)s.") % {"max": f"{MAX_VALUE:f}"}, code="max_value"
        )
    if number != number.quantize(Decimal("0.001")):
        raise _field_error(
            field, _("At most 3 digits after the decimal point."), code="max_decimal_places"
        )
    return number


@functools.cache
def _text_pattern(max_length: int, required: bool) -> re.Pattern[str]:
    return re.compile(trimmed_text_pattern(max_length, required=required))


def _clean_text(field: str, value: Any, *, max_length: int, required: bool = False) -> str:
    """The text trimmed. The document states each text field as `trimmed_text_pattern`, and
    the written value is checked against that same pattern, so the two cannot disagree."""
    written = str(value or "")
    text = written.strip()
    if required and not text:
        raise _field_error(field, _("This field is required."), code="required")
    if len(text) > max_length:
        raise _field_error(
            field,
            ngettext("At most %(max)d character.", "At most %(max)d characters.", max_length)
            % {"max": max_length},
            code="max_length",
        )
    if not _text_pattern(max_length, required).fullmatch(written):  # \x1c-\x1f, \x85, \ufeff
        raise _field_error(
            field, _("Remove the invisible characters at its start and end."), code="invalid"
        )
    return text


def _clean(habit: Habit, data: dict[str, Any]) -> None:
    """Set `data` on `habit` and check the result as a whole (a PATCH is checked merged with
    what it does not change). Raises a 400 naming the first bad field."""
    if "name" in data:
        habit.name = _clean_text("name", data["name"], max_length=NAME_MAX_LENGTH, required=True)
    if "description" in data:
        habit.description = _clean_text(
            "description", data["description"], max_length=DESCRIPTION_MAX_LENGTH
        )
    if "color" in data:
        color = str(data["color"] or "").strip()
        if not COLOR_PATTERN.match(color):
            raise _field_error("color", _("A colour is written #rrggbb, e.g. #4caf50."))
        habit.color = color.lower()
    if "icon" in data:
        habit.icon = _clean_text("icon", data["icon"], max_length=ICON_MAX_LENGTH)
    if "kind" in data:
        if data["kind"] not in HabitKind.values:
            raise _field_error("kind", _("Choose yes_no or measurable."), code="invalid_choice")
        habit.kind = data["kind"]
    if "target_direction" in data:
        if data["target_direction"] not in TargetDirection.values:
            raise _field_error(
                "target_direction", _("Choose at_least or at_most."), code="invalid_choice"
            )
        habit.target_direction = data["target_direction"]
    if "unit" in data:
        habit.unit = _clean_text("unit", data["unit"], max_length=UNIT_MAX_LENGTH)
    if "target_value" in data:
        raw = data["target_value"]
        habit.target_value = None if raw is None or raw == "" else _decimal("target_value", raw)
    if "schedule_kind" in data:
        if data["schedule_kind"] not in ScheduleKind.values:
            raise _field_error(
                "schedule_kind",
                _("Choose daily, weekdays, times_per_week, every_n_days or times_per_day."),
                code="invalid_choice",
            )
        habit.schedule_kind = data["schedule_kind"]
    if "weekdays" in data:
        days = data["weekdays"] or []
        if any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
            raise _field_error("weekdays", _("Each weekday is 0 (Monday) to 6 (Sunday)."))
        habit.weekday_mask = sum(1 << d for d in set(days))
    if "times" in data:
        habit.times = data["times"]
    if "interval_days" in data:
        habit.interval_days = data["interval_days"]
    if "start_date" in data and data["start_date"] is not None:
        habit.start_date = data["start_date"]

    # The target as a whole.
    if habit.kind == HabitKind.MEASURABLE:
        if habit.target_value is None:
            raise _field_error(
                "target_value", _("A measurable habit needs a target."), code="target_needed"
            )
        if habit.target_value <= 0:
            raise _field_error(
                "target_value", _("The target must be greater than 0."), code="target_positive"
            )
        if habit.schedule_kind == ScheduleKind.TIMES_PER_DAY:
            raise _field_error(
                "schedule_kind",
                _("A measurable habit has a target instead of N times a day."),
                code="measurable_times",  # a rule across fields, stated in the document
            )
    else:
        habit.target_value = None
        habit.unit = ""
        habit.target_direction = TargetDirection.AT_LEAST

    # The schedule as a whole: fields the kind does not use are reset, so none lingers.
    kind = habit.schedule_kind
    if kind == ScheduleKind.WEEKDAYS:
        if not habit.weekday_mask:
            # A rule across fields (the operation's description states it).
            raise _field_error(
                "weekdays", _("Choose at least one weekday."), code="weekdays_needed"
            )
    else:
        habit.weekday_mask = 0
    if kind == ScheduleKind.TIMES_PER_WEEK:
        if not 1 <= int(habit.times) <= 7:
            raise _field_error("times", _("From 1 to 7 times per week."), code="out_of_range")
    elif kind == ScheduleKind.TIMES_PER_DAY:
        if not 1 <= int(habit.times) <= TIMES_PER_DAY_MAX:
            raise _field_error(
                "times",
                ngettext(
                    "From 1 to %(max)d time a day.",
                    "From 1 to %(max)d times a day.",
                    TIMES_PER_DAY_MAX,
                )
                % {"max": TIMES_PER_DAY_MAX},
                code="out_of_range",
            )
    else:
        habit.times = 1
    if kind == ScheduleKind.EVERY_N_DAYS:
        if not 1 <= int(habit.interval_days) <= INTERVAL_MAX:
            raise _field_error(
                "interval_days",
                ngettext("From 1 to %(max)d day.", "From 1 to %(max)d days.", INTERVAL_MAX)
                % {"max": INTERVAL_MAX},
                code="out_of_range",
            )
    else:
        habit.interval_days = 1


def _check_start(habit: Habit, *, today: date) -> None:
    # A start far in the past would let a new habit claim old days; far ahead is a typo.
    if habit.start_date > today + timedelta(days=366):
        raise _field_error(
            "start_date", _("The start is at most a year ahead."), code="out_of_range"
        )


# ---------------------------------------------------------------------------------------------
# Habits


@transaction.atomic
def habit_create(*, user: Any, **data: Any) -> Habit:
    zone = evaluation.zone_for(user=user)
    today = evaluation.today_in(zone)
    if Habit.objects.filter(owner_id=user.id).count() >= MAX_HABITS:
        raise Conflict(
            ngettext(
                "You have %(max)d habit, the most one person keeps.",
                "You have %(max)d habits, the most one person keeps.",
                MAX_HABITS,
            )
            % {"max": MAX_HABITS},
            code="too_many_habits",
        )
    habit = Habit(owner_id=user.id, start_date=data.get("start_date") or today)
    # The beat closes the habit's days from the next local midnight on.
    habit.next_evaluation_at = evaluation.next_midnight(zone)
    _clean(habit, {"name": "", **data})
    _check_start(habit, today=today)
    last = Habit.objects.filter(owner_id=user.id).aggregate(m=Max("position"))["m"]
    habit.position = 0 if last is None else last + 1
    habit.save()
    habit = habit_of(user=user, habit_id=habit.id, lock=True)
    refresh_figures(habit, today=today, actor=user.id)
    _publish_saved(habit, actor=user.id)
    return habit


@transaction.atomic
def habit_update(*, user: Any, habit_id: Any, changes: dict[str, Any]) -> Habit:
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    before = {name: getattr(habit, name) for name in (*RECOUNT_FIELDS, "name")}
    _clean(habit, changes)
    today = evaluation.today_in(evaluation.zone_for(user=user, owner=habit.owner))
    if habit.start_date != before["start_date"]:
        _check_start(habit, today=today)
    habit.save()
    if any(getattr(habit, name) != before[name] for name in RECOUNT_FIELDS):
        refresh_figures(habit, today=today, actor=user.id)
        _changed(habit, today=today, what="schedule")
    if any(getattr(habit, name) != before[name] for name in before):
        _publish_saved(habit, actor=user.id)
    return habit


def habit_saved_by_staff(*, habit: Habit) -> None:
    """Staff changed the habit's name, description, colour or icon in Django admin (inside the
    admin's transaction): announce it like any other change."""
    _publish_saved(habit, actor=None)


@transaction.atomic
def habit_delete(*, user: Any, habit_id: Any) -> None:
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    _publish_deleted(habit, actor=user.id)
    habit.delete()


@transaction.atomic
def habit_archive(*, user: Any, habit_id: Any, archived: bool) -> Habit:
    """Archive (hidden from the default list, no check-ins) or bring back. Idempotent."""
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    if (habit.archived_at is not None) == archived:
        return habit
    habit.archived_at = timezone.now() if archived else None
    if not archived:
        # Back at the bottom of the active list.
        last = Habit.objects.filter(owner_id=user.id, archived_at__isnull=True).aggregate(
            m=Max("position")
        )["m"]
        habit.position = 0 if last is None else last + 1
    habit.save(update_fields=["archived_at", "position", "updated_at"])
    _publish_saved(habit, actor=user.id)
    today = evaluation.today_in(evaluation.zone_for(user=user, owner=habit.owner))
    _changed(habit, today=today, what="archive")
    return habit


@transaction.atomic
def habits_reorder(*, user: Any, ids: list[UUID]) -> list[UUID]:
    """Give the listed habits (the caller's own) positions 0, 1, 2, … in that order; habits
    left out keep their relative order after them."""
    if len(set(ids)) != len(ids):
        raise _field_error("ids", _("An id is listed twice."), code="duplicate")
    # Lock the caller's habits in one order, so two reorders never deadlock.
    mine = list(
        Habit.objects.select_for_update()
        .filter(owner_id=user.id)
        .order_by("position", "id")
        .values_list("id", flat=True)
    )
    known = set(mine)
    if any(i not in known for i in ids):
        # Someone else's habit and a missing one are the same answer.
        raise _field_error("ids", _("No habit with this id."), code="habit_not_found")
    order = [*ids, *(i for i in mine if i not in set(ids))]
    habits = [Habit(id=habit_id, position=index) for index, habit_id in enumerate(order)]
    Habit.objects.bulk_update(habits, ["position"], batch_size=500)
    return order


# ---------------------------------------------------------------------------------------------
# Pauses


@transaction.atomic
def pause_create(*, user: Any, habit_id: Any, start_date: date, end_date: date) -> Pause:
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    today = evaluation.today_in(evaluation.zone_for(user=user, owner=habit.owner))
    earliest, _latest = today - timedelta(days=evaluation.CHECKIN_DAYS_BACK), today
    if end_date < start_date:
        raise _field_error(
            "end_date", _("A pause cannot end before it starts."), code="end_before_start"
        )
    # A pause back-dated further than a check-in could be would repair old misses.
    if start_date < earliest:
        raise _field_error(
            "start_date",
            ngettext(
                "A pause starts at most %(days)d day ago.",
                "A pause starts at most %(days)d days ago.",
                evaluation.CHECKIN_DAYS_BACK,
            )
            % {"days": evaluation.CHECKIN_DAYS_BACK},
            code="too_far_back",
        )
    if (end_date - start_date).days + 1 > MAX_PAUSE_DAYS:
        raise _field_error(
            "end_date",
            ngettext(
                "A pause lasts at most %(days)d day.",
                "A pause lasts at most %(days)d days.",
                MAX_PAUSE_DAYS,
            )
            % {"days": MAX_PAUSE_DAYS},
            code="too_long",
        )
    if Pause.objects.filter(habit=habit, start_date__lte=end_date, end_date__gte=start_date):
        raise _field_error(
            "start_date", _("This pause overlaps another one."), code="pause_overlap"
        )
    if Pause.objects.filter(habit=habit).count() >= MAX_PAUSES:
        raise Conflict(
            ngettext(
                "A habit has at most %(max)d pause.",
                "A habit has at most %(max)d pauses.",
                MAX_PAUSES,
            )
            % {"max": MAX_PAUSES},
            code="too_many_pauses",
        )
    pause = Pause.objects.create(habit=habit, start_date=start_date, end_date=end_date)
    refresh_figures(habit, today=today, actor=user.id)
    _changed(habit, today=today, what="pause")
    _publish_saved(habit, actor=user.id)  # the agenda leaves paused days out
    return pause


@transaction.atomic
def pause_delete(*, user: Any, habit_id: Any, pause_id: Any) -> None:
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    try:
        pause_pk = int(str(pause_id))
    except ValueError:
        raise PauseNotFound() from None
    deleted, _rows = Pause.objects.filter(habit=habit, id=pause_pk).delete()
    if not deleted:
        raise PauseNotFound()
    today = evaluation.today_in(evaluation.zone_for(user=user, owner=habit.owner))
    refresh_figures(habit, today=today, actor=user.id)
    _changed(habit, today=today, what="pause")
    _publish_saved(habit, actor=user.id)


# ---------------------------------------------------------------------------------------------
# Check-ins


def _checkin_day(habit: Habit, day: date | None, *, today: date) -> date:
    """The day a check-in (or undo) is for: today by default, at most 7 days back, never ahead
    (days in the owner's zone)."""
    if day is None:
        return today
    if day > today:
        raise _field_error("day", _("A check-in cannot be for a future day."), code="future_day")
    if day < today - timedelta(days=evaluation.CHECKIN_DAYS_BACK):
        raise _field_error(
            "day",
            ngettext(
                "A check-in is for today or at most %(days)d day back.",
                "A check-in is for today or at most %(days)d days back.",
                evaluation.CHECKIN_DAYS_BACK,
            )
            % {"days": evaluation.CHECKIN_DAYS_BACK},
            code="too_far_back",
        )
    return day


@transaction.atomic
def checkin_record(
    *,
    user: Any,
    habit_id: Any,
    day: date | None = None,
    value: Any = None,
    note: str | None = None,
) -> tuple[Checkin, bool]:
    """Record the check-in of `day` (create, or update the day's one row). Returns the row and
    whether it was created."""
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    if habit.archived_at is not None:
        raise Conflict(_("This habit is archived."), code="habit_archived")
    today = evaluation.today_in(evaluation.zone_for(user=user, owner=habit.owner))
    day = _checkin_day(habit, day, today=today)
    if day < habit.start_date:
        raise _field_error("day", _("This habit starts later than that day."), code="before_start")
    if value is None:
        if habit.kind == HabitKind.MEASURABLE:
            raise _field_error("value", _("A measurable habit needs a value."), code="required")
        value = Decimal(1)
    else:
        value = _decimal("value", value)
        if value < 0:
            raise _field_error("value", _("The value cannot be negative."), code="min_value")
    if note is not None:
        note = _clean_text("note", note, max_length=NOTE_MAX_LENGTH)
    # The habit's row lock serialises check-ins of the habit, so reading the day's row with
    # the history (one query) then an insert or an update cannot race (no savepoint round
    # trips as in update_or_create); the unique constraint still stands behind it.
    state = evaluation.resume_state(habit, changed=day)
    values, pauses, row = recent_history(
        habit=habit, after=state.through if state else None, through=today, day=day
    )
    created = row is None
    # The check-in is written with the figures (`_apply`: one statement on PostgreSQL).
    if row is None:
        checkin = hot_sql.checkin_new(habit=habit, day=day, value=value, note=note)
    else:
        checkin = Checkin(
            id=row.id,
            habit=habit,
            day=day,
            value=value,
            note=row.note if note is None else note,
            created_at=row.created_at,
        )
        checkin._state.adding = False
    values[day] = checkin.value
    _record_figures(
        habit,
        values=values,
        pauses=pauses,
        today=today,
        resume=state,
        actor=user.id,
        checkin=(checkin, note is not None),
    )
    publish_event(
        type="habits.checkin.recorded",
        key=habit.id,
        actor=user.id,
        data={
            **_ref(habit),
            **_streak(habit),
            "day": day,
            "value": float(value),
            "done": evaluation.is_done(habit, value),
        },
    )
    _changed(habit, today=today, what="checkin")
    return checkin, created


@transaction.atomic
def checkin_undo(*, user: Any, habit_id: Any, day: date) -> None:
    habit = habit_of(user=user, habit_id=habit_id, lock=True)
    today = evaluation.today_in(evaluation.zone_for(user=user, owner=habit.owner))
    day = _checkin_day(habit, day, today=today)
    state = evaluation.resume_state(habit, changed=day)
    values, pauses, row = recent_history(
        habit=habit, after=state.through if state else None, through=today, day=day
    )
    if row is None:
        raise CheckinNotFound()
    Checkin.objects.filter(id=row.id).delete()
    values.pop(day, None)
    _record_figures(habit, values=values, pauses=pauses, today=today, resume=state, actor=user.id)
    publish_event(
        type="habits.checkin.undone",
        key=habit.id,
        actor=user.id,
        data={**_ref(habit), **_streak(habit), "day": day},
    )
    _changed(habit, today=today, what="checkin")


# ---------------------------------------------------------------------------------------------
# Accounts


def user_deleted(*, user_id: UUID) -> int:
    """An account was deleted (`auth.user.deleted`): its habits go with their check-ins,
    pauses and reminders, each announced (`habits.habit.deleted`). Idempotent: a second run
    finds nothing. Returns how many habits went."""
    with transaction.atomic():
        habits = list(
            Habit.objects.select_for_update().filter(owner_id=user_id).order_by("position", "id")
        )
        for habit in habits:
            _publish_deleted(habit, actor=user_id)
        Habit.objects.filter(id__in=[h.id for h in habits]).delete()
    return len(habits)
