"""Every schedule kind on fixed dates (the engine takes `today`, so the clock is frozen by
construction): week boundaries, month ends, the leap day 2028-02-29, pauses, freezes,
milestones, strength, and the open period that never breaks a streak."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cotask_common.contracts import habits as contract
from habits.engine import (
    STREAK_MILESTONES,
    DayRange,
    DayState,
    FreezeUsed,
    Milestone,
    ScheduleSpec,
    StreakBroken,
    TargetSpec,
    day_states,
    evaluate,
    is_done,
)

D = timedelta(days=1)
YES = TargetSpec()


def days(first: date, last: date) -> list[date]:
    return [first + i * D for i in range((last - first).days + 1)]


def ev(schedule, done, today, *, pauses=(), target=YES, value=1):
    values = {d: Decimal(value) for d in done}
    return evaluate(schedule, target, values=values, pauses=list(pauses), today=today)


def daily(start):
    return ScheduleSpec("daily", start)


# --- daily ------------------------------------------------------------------------------------


def test_daily_streak_counts_days_and_today_is_pending_until_checked_in():
    s = daily(date(2026, 11, 25))
    e = ev(s, days(date(2026, 11, 28), date(2026, 12, 2)), today=date(2026, 12, 3))
    assert (e.current_streak, e.best_streak, e.streak_unit) == (5, 5, "day")
    assert e.streak_started_on == date(2026, 11, 28)
    assert e.today_state == DayState.PENDING
    assert (e.period_done, e.period_required) == (0, 1)
    e = ev(s, days(date(2026, 11, 28), date(2026, 12, 3)), today=date(2026, 12, 3))
    assert e.current_streak == 6 and e.today_state == DayState.DONE


def test_daily_a_missed_yesterday_breaks_the_streak_with_its_length():
    s = daily(date(2026, 11, 25))
    e = ev(s, days(date(2026, 11, 28), date(2026, 12, 1)), today=date(2026, 12, 3))
    assert e.current_streak == 0 and e.best_streak == 4
    assert e.streak_started_on is None
    assert e.events == (StreakBroken(date(2026, 12, 2), 4),)


def test_a_streak_of_one_ends_without_an_event():
    s = daily(date(2026, 12, 1))
    e = ev(s, [date(2026, 12, 1)], today=date(2026, 12, 3))
    assert e.current_streak == 0 and e.events == ()


def test_month_end_and_year_end_do_not_interrupt_a_daily_streak():
    s = daily(date(2027, 1, 25))
    e = ev(s, days(date(2027, 1, 25), date(2027, 2, 3)), today=date(2027, 2, 3))
    assert e.current_streak == 10
    e = ev(daily(date(2027, 12, 28)), days(date(2027, 12, 28), date(2028, 1, 4)), date(2028, 1, 4))
    assert e.current_streak == 8


def test_leap_day_is_a_day_of_its_own():
    s = daily(date(2028, 2, 27))
    e = ev(s, [date(2028, 2, 27), date(2028, 2, 28), date(2028, 3, 1)], today=date(2028, 3, 1))
    assert e.current_streak == 1  # 2028-02-29 was missed
    assert e.events == (StreakBroken(date(2028, 2, 29), 2),)
    e = ev(s, days(date(2028, 2, 27), date(2028, 3, 1)), today=date(2028, 3, 1))
    assert e.current_streak == 4


# --- chosen weekdays --------------------------------------------------------------------------


def test_weekdays_only_chosen_days_count_and_the_others_never_break():
    s = ScheduleSpec("weekdays", date(2026, 11, 2), weekdays=frozenset({0, 2, 4}))  # Mon Wed Fri
    done = [date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 27), date(2026, 11, 30)]
    e = ev(s, done, today=date(2026, 12, 1))  # a Tuesday: unscheduled
    assert e.current_streak == 4  # Fri 27 → Mon 30 across the week boundary
    assert e.today_state == DayState.UNSCHEDULED
    # a check-in on an unscheduled Tuesday counts for nothing
    e2 = ev(s, [*done, date(2026, 12, 1)], today=date(2026, 12, 1))
    assert e2.current_streak == 4


def test_weekdays_missing_a_chosen_day_breaks():
    s = ScheduleSpec("weekdays", date(2026, 11, 2), weekdays=frozenset({0, 2, 4}))
    e = ev(s, [date(2026, 11, 23), date(2026, 11, 27)], today=date(2026, 11, 30))
    assert e.current_streak == 1 and e.events == ()  # Wed 25 broke a streak of 1
    assert e.today_state == DayState.PENDING


# --- N times per week -------------------------------------------------------------------------


def test_times_per_week_counts_iso_weeks_and_the_open_week_is_pending():
    s = ScheduleSpec("times_per_week", date(2026, 11, 16), times=3)
    done = [date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 22)]  # week 47: Mon Wed Sun
    done += [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 29)]  # week 48
    done += [date(2026, 11, 30)]  # week 49, open on Thursday 3 Dec
    e = ev(s, done, today=date(2026, 12, 3))
    assert (e.current_streak, e.streak_unit) == (2, "week")
    assert e.today_state == DayState.PENDING
    assert (e.period_start, e.period_done, e.period_required) == (date(2026, 11, 30), 1, 3)
    e = ev(s, [*done, date(2026, 12, 1), date(2026, 12, 3)], today=date(2026, 12, 3))
    assert e.current_streak == 3 and e.today_state == DayState.DONE


def test_times_per_week_a_short_week_breaks_when_it_closes():
    s = ScheduleSpec("times_per_week", date(2026, 11, 16), times=3)
    done = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 23)]
    # Sunday 29 Nov the week 48 is still open
    assert ev(s, done, today=date(2026, 11, 29)).current_streak == 1
    e = ev(s, done, today=date(2026, 11, 30))
    assert e.current_streak == 0 and e.events == ()  # a streak of 1 ended


def test_times_per_week_across_the_iso_year_boundary():
    s = ScheduleSpec("times_per_week", date(2027, 12, 20), times=2)
    # 2027-W51, 2027-W52 (27 Dec-2 Jan, two years), 2028-W01
    done = [date(2027, 12, 20), date(2027, 12, 26), date(2027, 12, 31), date(2028, 1, 1)]
    done += [date(2028, 1, 3), date(2028, 1, 9)]
    e = ev(s, done, today=date(2028, 1, 10))
    assert e.current_streak == 3


def test_times_per_week_partly_paused_week_needs_fewer_and_wholly_paused_counts_nothing():
    s = ScheduleSpec("times_per_week", date(2026, 11, 2), times=3)
    pause = DayRange(date(2026, 11, 10), date(2026, 11, 22))  # Tue wk46 .. Sun wk47
    done = [date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 6)]  # week 45 done
    done += [date(2026, 11, 9)]  # week 46: only Monday unpaused → needs 1
    done += [date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 27)]  # week 48
    e = ev(s, done, today=date(2026, 11, 30), pauses=[pause])
    assert e.current_streak == 3  # week 47 wholly paused: neither breaks nor counts
    states = day_states(
        s, YES, values={d: Decimal(1) for d in done}, pauses=[pause],
        start=date(2026, 11, 9), end=date(2026, 11, 16), today=date(2026, 11, 30),
    )  # fmt: skip
    assert states[date(2026, 11, 9)] == DayState.DONE
    assert set(list(states.values())[1:]) == {DayState.PAUSED}


def test_times_per_week_first_partial_week_needs_only_the_days_left():
    s = ScheduleSpec("times_per_week", date(2026, 11, 28), times=3)  # a Saturday
    e = ev(s, [date(2026, 11, 28), date(2026, 11, 29)], today=date(2026, 11, 30))
    assert e.current_streak == 1


def test_times_per_week_day_states_in_a_missed_week():
    s = ScheduleSpec("times_per_week", date(2026, 11, 23), times=3)
    values = {date(2026, 11, 24): Decimal(1)}
    states = day_states(
        s, YES, values=values, pauses=[], start=date(2026, 11, 23), end=date(2026, 12, 6),
        today=date(2026, 12, 3),
    )  # fmt: skip
    assert states[date(2026, 11, 24)] == DayState.DONE
    assert states[date(2026, 11, 23)] == DayState.MISSED
    assert states[date(2026, 12, 2)] == DayState.PENDING
    assert states[date(2026, 12, 4)] == DayState.FUTURE


# --- every N days -----------------------------------------------------------------------------


def test_every_n_days_across_a_month_end_and_the_leap_day():
    s = ScheduleSpec("every_n_days", date(2028, 2, 25), interval_days=2)
    # due 25, 27, 29 Feb, 2 Mar
    due = [date(2028, 2, 25), date(2028, 2, 27), date(2028, 2, 29), date(2028, 3, 2)]
    e = ev(s, due, today=date(2028, 3, 3))
    assert e.current_streak == 4
    states = day_states(
        s, YES, values={d: Decimal(1) for d in due}, pauses=[], start=date(2028, 2, 25),
        end=date(2028, 3, 4), today=date(2028, 3, 3),
    )  # fmt: skip
    assert [d for d, st in states.items() if st == DayState.DONE] == due
    assert states[date(2028, 2, 28)] == DayState.UNSCHEDULED
    assert states[date(2028, 3, 4)] == DayState.FUTURE
    # missing the leap day breaks (a streak of 2)
    e = ev(s, [due[0], due[1], due[3]], today=date(2028, 3, 3))
    assert e.current_streak == 1 and e.events == (StreakBroken(date(2028, 2, 29), 2),)


def test_every_n_days_off_days_are_not_periods():
    s = ScheduleSpec("every_n_days", date(2026, 11, 1), interval_days=7)
    e = ev(s, [date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15)], today=date(2026, 11, 21))
    assert e.current_streak == 3 and e.today_state == DayState.UNSCHEDULED


# --- N times a day and measurable -------------------------------------------------------------


def test_times_per_day_needs_the_day_value_to_reach_times():
    s = ScheduleSpec("times_per_day", date(2026, 12, 1), times=3)
    assert not is_done(YES, s, Decimal(2)) and is_done(YES, s, Decimal(3))
    values = {date(2026, 12, 1): Decimal(3), date(2026, 12, 2): Decimal(3)}
    values[date(2026, 12, 3)] = Decimal(2)
    e = evaluate(s, YES, values=values, pauses=[], today=date(2026, 12, 3))
    assert e.current_streak == 2 and e.today_state == DayState.PENDING
    values[date(2026, 12, 3)] = Decimal(4)
    assert evaluate(s, YES, values=values, pauses=[], today=date(2026, 12, 3)).current_streak == 3


def test_measurable_at_least_and_at_most():
    s = daily(date(2026, 12, 1))
    at_least = TargetSpec("measurable", Decimal("2.5"), "at_least")
    at_most = TargetSpec("measurable", Decimal(2), "at_most")
    assert is_done(at_least, s, Decimal("2.5")) and not is_done(at_least, s, Decimal("2.4"))
    assert is_done(at_most, s, Decimal(0)) and not is_done(at_most, s, Decimal(3))
    values = {date(2026, 12, 1): Decimal(1), date(2026, 12, 2): Decimal(3)}
    e = evaluate(s, at_most, values=values, pauses=[], today=date(2026, 12, 3))
    assert e.current_streak == 0 and e.best_streak == 1
    # "at most" still needs a check-in: a day without one is not done
    e = evaluate(
        s, at_most, values={date(2026, 12, 2): Decimal(0)}, pauses=[], today=date(2026, 12, 3)
    )
    assert e.best_streak == 1 and e.current_streak == 1


# --- pauses -----------------------------------------------------------------------------------


def test_paused_days_neither_break_nor_count_and_leave_strength_alone():
    s = daily(date(2026, 11, 1))
    pause = DayRange(date(2026, 11, 6), date(2026, 11, 15))
    done = days(date(2026, 11, 1), date(2026, 11, 5)) + days(date(2026, 11, 16), date(2026, 11, 18))
    e = ev(s, done, today=date(2026, 11, 19), pauses=[pause])
    assert e.current_streak == 8 and e.streak_started_on == date(2026, 11, 1)
    same = ev(
        daily(date(2026, 11, 1)), days(date(2026, 11, 1), date(2026, 11, 8)), date(2026, 11, 9)
    )
    assert e.strength == pytest.approx(same.strength)
    # a check-in on a paused day counts for nothing; today paused → today's state paused
    e = ev(s, [*done, date(2026, 11, 10)], today=date(2026, 11, 10), pauses=[pause])
    assert e.current_streak == 5 and e.today_state == DayState.PAUSED


# --- freezes ----------------------------------------------------------------------------------


def test_a_freeze_is_earned_per_7_done_periods_and_spent_on_the_first_miss():
    s = daily(date(2026, 11, 1))
    done = days(date(2026, 11, 1), date(2026, 11, 7))  # 7 → 1 freeze
    e = ev(s, done, today=date(2026, 11, 8))
    assert e.freezes_held == 1 and e.current_streak == 7
    done += days(date(2026, 11, 9), date(2026, 11, 10))  # 8 Nov missed
    e = ev(s, done, today=date(2026, 11, 11))
    assert e.current_streak == 9 and e.freezes_held == 0
    assert e.events == (
        Milestone(7, date(2026, 11, 7)),
        FreezeUsed(date(2026, 11, 8), freezes_left=0, current_streak=7),
    )
    states = day_states(
        s, YES, values={d: Decimal(1) for d in done}, pauses=[], start=date(2026, 11, 7),
        end=date(2026, 11, 9), today=date(2026, 11, 11),
    )  # fmt: skip
    assert list(states.values()) == [DayState.DONE, DayState.FROZEN, DayState.DONE]


def test_at_most_two_freezes_are_held_and_a_third_miss_breaks():
    s = daily(date(2026, 11, 1))
    done = days(date(2026, 11, 1), date(2026, 11, 21))  # 21 done: 3 earned, capped at 2
    assert ev(s, done, today=date(2026, 11, 22)).freezes_held == 2
    e = ev(s, done, today=date(2026, 11, 25))  # 22, 23, 24 missed
    assert e.freezes_held == 0 and e.current_streak == 0
    assert [type(x) for x in e.events] == [Milestone, FreezeUsed, FreezeUsed, StreakBroken]
    assert e.events[1] == FreezeUsed(date(2026, 11, 22), 1, 21)
    assert e.events[-1] == StreakBroken(date(2026, 11, 24), 21)


def test_after_a_spend_the_count_towards_the_next_freeze_restarts():
    s = daily(date(2026, 11, 1))
    done = days(date(2026, 11, 1), date(2026, 11, 10))  # 10 done: 1 freeze, 3 towards the next
    done += days(date(2026, 11, 12), date(2026, 11, 17))  # 11 frozen, then 6 done
    e = ev(s, done, today=date(2026, 11, 19))  # 18 missed: nothing held → broken
    assert e.freezes_held == 0 and e.current_streak == 0
    assert e.events[-1] == StreakBroken(date(2026, 11, 18), 16)


def test_freezes_count_weeks_for_n_per_week():
    s = ScheduleSpec("times_per_week", date(2026, 9, 7), times=1)  # a Monday
    mondays = [date(2026, 9, 7) + 7 * i * D for i in range(7)]  # 7 weeks done
    e = ev(s, mondays, today=date(2026, 10, 26))
    assert e.current_streak == 7 and e.freezes_held == 1
    e = ev(s, [*mondays, date(2026, 11, 2)], today=date(2026, 11, 3))  # week of 26 Oct missed
    assert e.current_streak == 8 and e.freezes_held == 0
    assert e.events[-1] == FreezeUsed(date(2026, 10, 26), 0, 7)


# --- milestones -------------------------------------------------------------------------------


def test_milestones_once_per_streak_and_again_in_a_new_streak():
    assert STREAK_MILESTONES == contract.STREAK_MILESTONES
    s = daily(date(2026, 1, 1))
    done = days(date(2026, 1, 1), date(2026, 1, 30))  # 30
    done += days(date(2026, 2, 5), date(2026, 2, 11))  # 31 Jan-4 Feb missed (2 frozen), then 7
    e = ev(s, done, today=date(2026, 2, 12))
    milestones = [x for x in e.events if isinstance(x, Milestone)]
    assert milestones == [
        Milestone(7, date(2026, 1, 7)),
        Milestone(30, date(2026, 1, 30)),
        Milestone(7, date(2026, 2, 11)),
    ]
    assert e.best_streak == 30 and e.current_streak == 7


def test_a_long_streak_reaches_100_and_365():
    s = daily(date(2027, 1, 1))
    e = ev(s, days(date(2027, 1, 1), date(2028, 1, 1)), today=date(2028, 1, 1))
    assert e.current_streak == 366
    assert [x.length for x in e.events if isinstance(x, Milestone)] == [7, 30, 100, 365]


# --- strength ---------------------------------------------------------------------------------


def test_strength_is_loops_exponential_score():
    s = daily(date(2026, 11, 1))
    # m = 0.5^(1/13) for a daily habit: 13 done days from 0 give 1 - 0.5
    assert ev(s, days(date(2026, 11, 1), date(2026, 11, 13)), date(2026, 11, 14)).strength == (
        pytest.approx(0.5)
    )
    # 13 misses halve it again
    e = ev(s, days(date(2026, 11, 1), date(2026, 11, 13)), date(2026, 11, 27))
    assert e.strength == pytest.approx(0.25)
    # a weekly habit of 7/week has f = 1 too; a week counts as one step
    w = ScheduleSpec("times_per_week", date(2026, 11, 2), times=7)
    assert ev(w, days(date(2026, 11, 2), date(2026, 11, 8)), date(2026, 11, 9)).strength == (
        pytest.approx(1 - 0.5 ** (1 / 13))
    )


def test_check_ins_before_the_start_or_after_today_are_ignored():
    s = daily(date(2026, 12, 1))
    e = ev(s, days(date(2026, 11, 20), date(2026, 12, 10)), today=date(2026, 12, 2))
    assert e.current_streak == 2 and e.best_streak == 2
    assert ev(s, [], today=date(2026, 11, 30)).today_state == DayState.BEFORE_START


def test_a_zone_move_west_leaves_tomorrows_check_in_waiting():
    # Checked in 4 Dec in Kyiv, then moved to New York where it is still 3 Dec: the 4 Dec
    # check-in is in the future there, so it neither counts twice nor breaks anything.
    s = daily(date(2026, 12, 1))
    done = days(date(2026, 12, 1), date(2026, 12, 4))
    assert ev(s, done, today=date(2026, 12, 3)).current_streak == 3
    assert ev(s, done, today=date(2026, 12, 4)).current_streak == 4


# --- validation and purity --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(kind="times_per_week", times=8), "times"),
        (dict(kind="times_per_week", times=0), "times"),
        (dict(kind="times_per_day", times=25), "times"),
        (dict(kind="weekdays"), "weekdays"),
        (dict(kind="weekdays", weekdays=frozenset({7})), "weekdays"),
        (dict(kind="every_n_days", interval_days=366), "interval_days"),
        (dict(kind="hourly"), "kind"),
    ],
)
def test_bad_schedules_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        ScheduleSpec(start_date=date(2026, 12, 1), **kwargs)


def test_a_measurable_target_must_be_positive():
    with pytest.raises(ValueError, match=r"^target_value:"):
        TargetSpec("measurable", Decimal(-1))
    with pytest.raises(ValueError, match=r"^target_value:"):
        TargetSpec("measurable", None)


def test_the_engine_imports_no_django():
    root = Path(__file__).resolve().parents[3]
    code = "import sys, habits.engine; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
