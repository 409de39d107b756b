"""The habits engine: schedules, streaks, freezes, strength, heatmap states, completion rates and
local-time arithmetic for reminders. Pure Python, no Django: the service (`habits.tracking`)
builds the specs from its rows and caches the figures on the habit.

The interface below is the one agreed for the API and the reminder pass; see docs/decisions.md
("habits") for every rule.
"""

from .clock import (
    local_instant,
    local_today,
    next_local_fire,
    next_local_midnight,
)
from .schedule import (
    DayRange,
    DayState,
    ScheduleSpec,
    TargetSpec,
    is_done,
    scheduled_day_predicate,
    week_start,
    weekdays_from_mask,
    weekdays_to_mask,
)
from .stats import CompletionRates, Rate, completion_rates
from .streaks import (
    STREAK_MILESTONES,
    EngineEvent,
    Evaluation,
    FreezeUsed,
    Milestone,
    StreakBroken,
    WalkState,
    day_states,
    evaluate,
    evaluate_from,
    today_state,
)

__all__ = [
    "STREAK_MILESTONES",
    "CompletionRates",
    "DayRange",
    "DayState",
    "EngineEvent",
    "Evaluation",
    "FreezeUsed",
    "Milestone",
    "Rate",
    "ScheduleSpec",
    "StreakBroken",
    "TargetSpec",
    "WalkState",
    "completion_rates",
    "day_states",
    "evaluate",
    "evaluate_from",
    "is_done",
    "local_instant",
    "local_today",
    "next_local_fire",
    "next_local_midnight",
    "scheduled_day_predicate",
    "today_state",
    "week_start",
    "weekdays_from_mask",
    "weekdays_to_mask",
]
