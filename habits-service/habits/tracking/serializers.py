"""Input and output shapes of the habits API. Inputs only parse types; the rules (lengths,
ranges, the 7-day window, overlapping pauses) are the services'."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cotask_common.openapi import checked_text, trimmed_text_pattern
from habits.tracking import evaluation
from habits.tracking.models import HabitKind, ScheduleKind, TargetDirection
from habits.tracking.services import (
    DESCRIPTION_MAX_LENGTH,
    ICON_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    UNIT_MAX_LENGTH,
)


def _text(max_length: int, *, blank: bool = True, **kwargs: Any) -> Any:
    """A text the service trims and checks (services._clean_text), stated as the pattern it
    checks: its length counts once trimmed, which a raw maxLength cannot say; not blank once
    trimmed unless `blank`."""
    schema = {"pattern": trimmed_text_pattern(max_length, required=not blank)}
    return checked_text(schema, allow_blank=True, trim_whitespace=False, **kwargs)


COLOR = {"pattern": r"^\s*#[0-9A-Fa-f]{6}\s*$"}  # services.COLOR_PATTERN, once trimmed


class HabitInput(serializers.Serializer):
    """Create: `name` required, everything else has a default. PATCH: any subset."""

    # services check the name (needed) and the colour, with their own messages.
    name = _text(NAME_MAX_LENGTH, blank=False)
    description = _text(DESCRIPTION_MAX_LENGTH, required=False)
    color = checked_text(COLOR, required=False, allow_blank=True, help_text="#rrggbb")
    icon = _text(ICON_MAX_LENGTH, required=False)
    kind = serializers.ChoiceField(choices=HabitKind.choices, required=False)
    target_value = serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        required=False,
        allow_null=True,
        help_text="Measurable habits: the day's target (> 0).",
    )
    target_direction = serializers.ChoiceField(choices=TargetDirection.choices, required=False)
    unit = _text(UNIT_MAX_LENGTH, required=False)
    schedule_kind = serializers.ChoiceField(choices=ScheduleKind.choices, required=False)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        max_length=7,
        help_text="For `weekdays`: Monday = 0 … Sunday = 6.",
    )
    times = serializers.IntegerField(
        required=False, help_text="times_per_week: 1-7; times_per_day: 1-24."
    )
    interval_days = serializers.IntegerField(
        required=False, help_text="every_n_days: 1-365, counted from start_date."
    )
    start_date = serializers.DateField(
        required=False, help_text="Default: today in your time zone."
    )


class HabitUpdateInput(HabitInput):
    name = _text(NAME_MAX_LENGTH, blank=False, required=False)


class StreakOutput(serializers.Serializer):
    current = serializers.IntegerField(source="current_streak")
    best = serializers.IntegerField(source="best_streak")
    unit = serializers.SerializerMethodField()
    started_on = serializers.DateField(source="streak_started_on", allow_null=True)
    freezes_held = serializers.IntegerField()

    def get_unit(self, habit: Any) -> str:
        return evaluation.streak_unit(habit)


class ProgressOutput(serializers.Serializer):
    done = serializers.FloatField()
    target = serializers.FloatField()
    unit = serializers.CharField()
    ratio = serializers.FloatField(help_text="0-1, capped at 1")


class TodayOutput(serializers.Serializer):
    day = serializers.DateField()
    state = serializers.CharField(
        help_text="done, pending, missed, paused, frozen, unscheduled, before_start"
    )
    value = serializers.FloatField(allow_null=True)
    done = serializers.BooleanField()
    progress = ProgressOutput()


class HabitOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    color = serializers.CharField()
    icon = serializers.CharField()
    kind = serializers.CharField()
    target_value = serializers.DecimalField(
        max_digits=12, decimal_places=3, allow_null=True, coerce_to_string=False
    )
    target_direction = serializers.CharField()
    unit = serializers.CharField()
    schedule_kind = serializers.CharField()
    weekdays = serializers.SerializerMethodField()
    times = serializers.IntegerField()
    interval_days = serializers.IntegerField()
    start_date = serializers.DateField()
    archived = serializers.SerializerMethodField()
    archived_at = serializers.DateTimeField(allow_null=True)
    position = serializers.IntegerField()
    streak = serializers.SerializerMethodField()
    strength = serializers.SerializerMethodField()
    today = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_weekdays(self, habit: Any) -> list[int]:
        return evaluation.weekdays_of(habit)

    def get_archived(self, habit: Any) -> bool:
        return habit.archived_at is not None

    @extend_schema_field(StreakOutput)
    def get_streak(self, habit: Any) -> dict[str, Any]:
        return StreakOutput(habit).data

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_strength(self, habit: Any) -> float:
        return round(habit.strength, 4)

    @extend_schema_field(TodayOutput(allow_null=True))
    def get_today(self, habit: Any) -> dict[str, Any] | None:
        from habits.tracking.selectors import today_of

        today = self.context.get("today")
        if today is None or not hasattr(habit, "week_checkins"):
            return None
        return TodayOutput(today_of(habit, today=today)).data


class ArchivedQuery(serializers.Serializer):
    archived = serializers.BooleanField(required=False, default=False)


class OrderInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False, max_length=500)


class OrderOutput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField())


class PauseInput(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class PauseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    created_at = serializers.DateTimeField()


class CheckinInput(serializers.Serializer):
    day = serializers.DateField(
        required=False, help_text="Default: today in your time zone; at most 7 days back."
    )
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        required=False,
        allow_null=True,
        help_text="Default 1 (yes/no, N times a day); required for measurable habits.",
    )
    note = _text(NOTE_MAX_LENGTH, required=False)


class CheckinOutput(serializers.Serializer):
    day = serializers.DateField()
    value = serializers.DecimalField(max_digits=12, decimal_places=3, coerce_to_string=False)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CheckinRecordedOutput(serializers.Serializer):
    checkin = CheckinOutput()
    habit = HabitOutput()


class RangeQuery(serializers.Serializer):
    # `from` is a Python keyword: read as `start` (see the view).
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)


class HeatmapQuery(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class HeatmapDay(serializers.Serializer):
    day = serializers.DateField()
    value = serializers.FloatField(allow_null=True)
    state = serializers.CharField(
        help_text="done, missed, paused, frozen, unscheduled, pending, future, before_start"
    )


class HeatmapOutput(serializers.Serializer):
    year = serializers.IntegerField()
    days = HeatmapDay(many=True)


class StatsQuery(serializers.Serializer):
    period = serializers.ChoiceField(choices=["week", "month", "year"], default="week")


class RateOutput(serializers.Serializer):
    period = serializers.CharField(help_text="2026-W49, 2026-12 or 2026; weekdays 0-6")
    scheduled = serializers.IntegerField()
    done = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class StatsOutput(serializers.Serializer):
    period = serializers.CharField()
    rates = RateOutput(many=True)
    weekdays = RateOutput(many=True)


# ---------------------------------------------------------------------------------------------
# The check-in's answer without building serializers: a check-in is the hottest write and DRF
# deep-copies every declared field of every serializer it builds (HabitOutput with its streak,
# today and progress, CheckinOutput). The same representation with the same field classes
# (a test compares it with the serializers' output).

_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()
_DECIMAL = serializers.DecimalField(max_digits=12, decimal_places=3, coerce_to_string=False)
_OPTIONAL_DATETIME = serializers.DateTimeField(allow_null=True)


def _maybe(field: serializers.Field, value: Any) -> Any:
    return None if value is None else field.to_representation(value)


def checkin_payload(checkin: Any) -> dict[str, Any]:
    """`CheckinOutput(checkin).data`."""
    return {
        "day": _DATE.to_representation(checkin.day),
        "value": _DECIMAL.to_representation(checkin.value),
        "note": str(checkin.note),
        "created_at": _maybe(_DATETIME, checkin.created_at),
        "updated_at": _maybe(_DATETIME, checkin.updated_at),
    }


def habit_payload(habit: Any, *, today: Any) -> dict[str, Any]:
    """`HabitOutput(habit, context={"today": today}).data` for a habit with today's week
    attached."""
    from habits.tracking.selectors import today_of

    figures = today_of(habit, today=today)
    progress = figures["progress"]
    return {
        "id": str(habit.id),
        "name": str(habit.name),
        "description": str(habit.description),
        "color": str(habit.color),
        "icon": str(habit.icon),
        "kind": str(habit.kind),
        "target_value": _maybe(_DECIMAL, habit.target_value),
        "target_direction": str(habit.target_direction),
        "unit": str(habit.unit),
        "schedule_kind": str(habit.schedule_kind),
        "weekdays": evaluation.weekdays_of(habit),
        "times": int(habit.times),
        "interval_days": int(habit.interval_days),
        "start_date": _DATE.to_representation(habit.start_date),
        "archived": habit.archived_at is not None,
        "archived_at": _maybe(_OPTIONAL_DATETIME, habit.archived_at),
        "position": int(habit.position),
        "streak": {
            "current": int(habit.current_streak),
            "best": int(habit.best_streak),
            "unit": evaluation.streak_unit(habit),
            "started_on": _maybe(_DATE, habit.streak_started_on),
            "freezes_held": int(habit.freezes_held),
        },
        "strength": round(habit.strength, 4),
        "today": {
            "day": _DATE.to_representation(figures["day"]),
            "state": str(figures["state"]),
            "value": None if figures["value"] is None else float(figures["value"]),
            "done": bool(figures["done"]),
            "progress": {
                "done": float(progress["done"]),
                "target": float(progress["target"]),
                "unit": str(progress["unit"]),
                "ratio": float(progress["ratio"]),
            },
        },
        "created_at": _maybe(_DATETIME, habit.created_at),
        "updated_at": _maybe(_DATETIME, habit.updated_at),
    }
