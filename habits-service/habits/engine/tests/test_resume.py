"""Property-based: walking on from a stored `WalkState` gives exactly the figures of a walk over
the whole history, after any change of the days after the state (check-ins added, changed or
undone, pauses added), which is what the service does on a check-in or an undo."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from habits.engine import DayRange, WalkState, day_states, evaluate, evaluate_from, today_state
from habits.engine.tests.test_properties import VALUE, histories, specs

D = timedelta(days=1)


def cut_for(kind: str, start: date, today: date, back: int) -> date:
    """A day `back` days before today (a Sunday for N per week), what the service keeps."""
    cut = today - back * D
    if kind == "times_per_week":
        cut -= (cut.weekday() + 1) * D  # the Sunday before cut's week
    return cut


@settings(max_examples=400, deadline=None)
@given(histories(), st.integers(1, 60), st.data())
def test_resumed_walk_equals_the_whole_walk_after_later_changes(history, back, data):
    spec, values, pauses, today = history
    schedule, target = specs(spec)
    ranges = [DayRange(a, b) for a, b in pauses]
    cut = cut_for(spec["kind"], spec["start"], today, back)

    whole, keeps = evaluate_from(
        schedule, target, values=values, pauses=ranges, today=today, keeps=[cut]
    )
    kept = keeps[cut]
    assert kept.through == cut
    assert whole == evaluate(schedule, target, values=values, pauses=ranges, today=today)
    # The stored form gives the state back exactly (the strength float too).
    assert WalkState.from_json(kept.to_json()) == kept

    # Change only days after the cut: set, change or undo check-ins, add a pause.
    changed = dict(values)
    for offset, value in data.draw(st.lists(st.tuples(st.integers(1, 70), VALUE), max_size=8)):
        day = cut + offset * D
        if value is None:
            changed.pop(day, None)
        else:
            changed[day] = Decimal(value)
    extra = data.draw(st.lists(st.tuples(st.integers(1, 70), st.integers(0, 9)), max_size=1))
    new_ranges = ranges + [DayRange(cut + a * D, cut + (a + n) * D) for a, n in extra]

    later = {d: v for d, v in changed.items() if d > cut}
    # Keep again at a day before or after the resumed state: before it, the state stays.
    again = cut_for(spec["kind"], spec["start"], today, data.draw(st.integers(1, 70)))
    got, kept_again = evaluate_from(
        schedule,
        target,
        values=later,
        pauses=new_ranges,
        today=today,
        resume=WalkState.from_json(kept.to_json()),
        keeps=[again],
    )
    _, want_kept = evaluate_from(
        schedule, target, values=changed, pauses=new_ranges, today=today, keeps=[max(cut, again)]
    )
    assert kept_again[again] == want_kept[max(cut, again)]
    want = evaluate(schedule, target, values=changed, pauses=new_ranges, today=today)
    assert got.current_streak == want.current_streak
    assert got.best_streak == want.best_streak
    assert got.streak_started_on == want.streak_started_on
    assert got.freezes_held == want.freezes_held
    assert got.strength == want.strength  # exactly: the same operations in the same order
    assert got.today_state == want.today_state
    assert (got.period_start, got.period_done, got.period_required) == (
        want.period_start,
        want.period_done,
        want.period_required,
    )
    assert got.events == tuple(e for e in want.events if e.day > cut)


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(1, 60), st.integers(0, 30))
def test_day_states_from_a_stored_state_equal_those_from_the_start(history, back, width):
    """The heatmap's walk: from a state through a day before the range, the same states."""
    spec, values, pauses, today = history
    schedule, target = specs(spec)
    ranges = [DayRange(a, b) for a, b in pauses]
    cut = cut_for(spec["kind"], spec["start"], today, back)
    _, keeps = evaluate_from(
        schedule, target, values=values, pauses=ranges, today=today, keeps=[cut]
    )
    start = cut + D + (width % 7) * D  # any day after the state (1 January mid-week, too)
    end = start + width * D
    whole = day_states(
        schedule, target, values=values, pauses=ranges, start=start, end=end, today=today
    )
    later = {d: v for d, v in values.items() if d > cut}
    resumed = day_states(
        schedule,
        target,
        values=later,
        pauses=ranges,
        start=start,
        end=end,
        today=today,
        resume=keeps[cut],
    )
    assert resumed == whole


@settings(max_examples=400, deadline=None)
@given(histories(), st.integers(-8, 0))
def test_today_state_equals_the_whole_walk(history, shift):
    """Today's state from the open period alone (`today_state`, given only this period's
    check-ins as the habit list is) is the state the walk over the whole history gives."""
    spec, values, pauses, today = history
    today += shift * D  # also before the start
    schedule, target = specs(spec)
    ranges = [DayRange(a, b) for a, b in pauses]
    whole = day_states(
        schedule, target, values=values, pauses=ranges, start=today, end=today, today=today
    )[today]
    monday = today - today.weekday() * D
    week = {d: v for d, v in values.items() if monday <= d <= today}
    assert today_state(schedule, target, values=week, pauses=ranges, today=today) == whole
