"""Property-based: on generated histories, `evaluate` and `day_states` equal an independent naive
recount written here day by day (calendar grouping by `isocalendar`, pauses checked range by
range, the target compared inline), and `day_states` agrees with `evaluate`."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from habits.engine import (
    DayRange,
    DayState,
    ScheduleSpec,
    TargetSpec,
    completion_rates,
    day_states,
    evaluate,
)

D = timedelta(days=1)


def naive(spec: dict, values: dict[date, Decimal], pauses: list[tuple[date, date]], today: date):
    """Recount from raw check-ins. Returns (figures, per-day states from start to today+3)."""
    kind, start, times = spec["kind"], spec["start"], spec["times"]

    def paused(d: date) -> bool:
        return any(a <= d <= b for a, b in pauses)

    def met(d: date) -> bool:
        v = values.get(d)
        if v is None:
            return False
        if spec["tkind"] == "measurable":
            return v >= spec["tval"] if spec["direction"] == "at_least" else v <= spec["tval"]
        return v >= (times if kind == "times_per_day" else 1)

    def due(d: date) -> bool:
        if kind == "weekdays":
            return d.isoweekday() - 1 in spec["weekdays"]
        if kind == "every_n_days":
            return (d.toordinal() - start.toordinal()) % spec["interval"] == 0
        return True

    # 1. periods in order: (key, first day, status)
    found: list[list] = []
    if kind != "times_per_week":
        d = start
        while d <= today:
            if due(d):
                if paused(d):
                    found.append([d, d, "paused"])
                elif met(d):
                    found.append([d, d, "done"])
                elif d == today:
                    found.append([d, d, "pending"])
                else:
                    found.append([d, d, "missed"])
            d += D
    else:
        weeks: dict[tuple[int, int], list[date]] = {}
        d = start
        sunday_of_today = today + (6 - today.weekday()) * D
        while d <= sunday_of_today:
            weeks.setdefault(d.isocalendar()[:2], []).append(d)
            d += D
        for key in sorted(weeks):
            days = weeks[key]
            first = days[0] - days[0].weekday() * D
            last = first + 6 * D
            if first > today:
                break
            avail = [x for x in days if not paused(x)]
            need = min(times, len(avail))
            count = len([x for x in avail if x <= today and met(x)])
            if need == 0:
                status = "paused"
            elif count >= need:
                status = "done"
            elif last >= today:
                status = "pending"
            else:
                status = "missed"
            found.append([key, first, status])

    # 2. the rules
    freq = {
        "daily": 1.0,
        "times_per_day": 1.0,
        "weekdays": len(spec["weekdays"]) / 7,
        "times_per_week": times / 7,
        "every_n_days": 1 / spec["interval"],
    }[kind]
    keep = 2 ** (-(freq**0.5) / 13)
    streak = best = toward = bank = 0
    began = None
    score = 0.0
    events: list[tuple] = []
    for item in found:
        status = item[2]
        if status == "done":
            streak += 1
            began = item[1] if streak == 1 else began
            best = streak if streak > best else best
            toward += 1
            if toward == 7:
                toward, bank = 0, min(bank + 1, 2)
            if streak in (7, 30, 100, 365):
                events.append(("milestone", streak, item[1]))
            score = keep * score + (1 - keep)
        elif status == "missed":
            if bank > 0:
                bank -= 1
                toward = 0
                item[2] = "frozen"
                events.append(("freeze", item[1], bank, streak))
            else:
                if streak > 1:
                    events.append(("broken", item[1], streak))
                streak, toward, began = 0, 0, None
            score = keep * score
    figures = dict(
        current=streak, best=best, began=began, freezes=bank, strength=score, events=events
    )
    figures["met"] = sum(1 for item in found if item[2] == "done")
    figures["counted"] = sum(1 for item in found if item[2] in ("done", "missed", "frozen"))

    # 3. day states
    status_of = {item[1]: item[2] for item in found}
    states = {}
    d = start - 3 * D
    while d <= today + 3 * D:
        if d < start:
            s = "before_start"
        elif paused(d):
            s = "paused"
        elif d > today:
            s = "future"
        elif kind == "times_per_week":
            week = status_of[d - d.weekday() * D]
            if met(d):
                s = "done"
            elif week == "done":
                s = "unscheduled"
            else:
                s = week
        elif not due(d):
            s = "unscheduled"
        else:
            s = status_of[d]
        states[d] = s
        d += D
    return figures, states


def as_events(evaluation) -> list[tuple]:
    out: list[tuple] = []
    for e in evaluation.events:
        name = type(e).__name__
        if name == "Milestone":
            out.append(("milestone", e.length, e.day))
        elif name == "FreezeUsed":
            out.append(("freeze", e.day, e.freezes_left, e.current_streak))
        else:
            out.append(("broken", e.day, e.length))
    return out


VALUE = st.sampled_from([1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 0, None, None])


@st.composite
def histories(draw):
    kind = draw(
        st.sampled_from(["daily", "weekdays", "times_per_week", "every_n_days", "times_per_day"])
    )
    # 2027-2029 covers a leap day (2028-02-29) and every weekday as a start.
    start = date(2027, 1, 1) + draw(st.integers(0, 3 * 365)) * D
    spec = {
        "kind": kind,
        "start": start,
        "weekdays": draw(st.frozensets(st.integers(0, 6), min_size=1)),
        "times": draw(st.integers(1, 7 if kind == "times_per_week" else 3)),
        "interval": draw(st.integers(1, 9)),
        "tkind": draw(st.sampled_from(["yes_no", "yes_no", "measurable"])),
        "tval": Decimal(draw(st.integers(1, 3))),
        "direction": draw(st.sampled_from(["at_least", "at_most"])),
    }
    length = draw(st.integers(0, 200))
    today = start + length * D
    raw = draw(st.lists(VALUE, min_size=length + 10, max_size=length + 10))
    values = {start - 5 * D + i * D: Decimal(v) for i, v in enumerate(raw) if v is not None}
    pauses = []
    for offset, size in draw(
        st.lists(st.tuples(st.integers(-10, 210), st.integers(0, 20)), max_size=3)
    ):
        pauses.append((start + offset * D, start + (offset + size) * D))
    return spec, values, pauses, today


def specs(spec):
    kind = spec["kind"]
    schedule = ScheduleSpec(
        kind=kind,
        start_date=spec["start"],
        weekdays=spec["weekdays"] if kind == "weekdays" else frozenset(),
        times=spec["times"] if kind in ("times_per_week", "times_per_day") else 1,
        interval_days=spec["interval"] if kind == "every_n_days" else 1,
    )
    if spec["tkind"] == "measurable":
        target = TargetSpec("measurable", spec["tval"], spec["direction"])
    else:
        target = TargetSpec()
    return schedule, target


@settings(max_examples=400, deadline=None)
@given(histories())
def test_evaluate_equals_a_naive_recount(history):
    spec, values, pauses, today = history
    schedule, target = specs(spec)
    got = evaluate(
        schedule,
        target,
        values=values,
        pauses=[DayRange(a, b) for a, b in pauses],
        today=today,
    )
    want, _ = naive(spec, values, pauses, today)
    assert got.current_streak == want["current"]
    assert got.best_streak == want["best"]
    assert got.streak_started_on == want["began"]
    assert got.freezes_held == want["freezes"]
    assert abs(got.strength - want["strength"]) < 1e-9
    assert 0.0 <= got.strength <= 1.0
    assert as_events(got) == want["events"]
    assert got.streak_unit == ("week" if spec["kind"] == "times_per_week" else "day")


@settings(max_examples=400, deadline=None)
@given(histories())
def test_day_states_equal_a_naive_recount_and_agree_with_evaluate(history):
    spec, values, pauses, today = history
    schedule, target = specs(spec)
    ranges = [DayRange(a, b) for a, b in pauses]
    start, end = spec["start"] - 3 * D, today + 3 * D
    got = day_states(
        schedule, target, values=values, pauses=ranges, start=start, end=end, today=today
    )
    _, want = naive(spec, values, pauses, today)
    assert {d: str(s) for d, s in got.items()} == want

    # Agreement with evaluate: the streak read back from the states (day schedules; weeks by
    # their worst day), frozen periods = freezes used.
    evaluation = evaluate(schedule, target, values=values, pauses=ranges, today=today)
    streak = best = frozen = 0
    if spec["kind"] == "times_per_week":
        weeks: dict[date, set[DayState]] = {}
        for d, s in got.items():
            if spec["start"] <= d <= today:
                weeks.setdefault(d - d.weekday() * D, set()).add(s)
        sequence = []
        for monday in sorted(weeks):
            seen = weeks[monday]
            if DayState.MISSED in seen:
                sequence.append(DayState.MISSED)
            elif DayState.FROZEN in seen:
                sequence.append(DayState.FROZEN)
            elif monday <= today <= monday + 6 * D:
                # the open week: done once its need is met, else pending
                met = 0 < evaluation.period_required <= evaluation.period_done
                sequence.append(DayState.DONE if met else DayState.PENDING)
            elif DayState.DONE in seen:
                sequence.append(DayState.DONE)
    else:
        sequence = [s for d, s in sorted(got.items()) if d <= today]
    for s in sequence:
        if s == DayState.DONE:
            streak += 1
            best = max(best, streak)
        elif s == DayState.MISSED:
            streak = 0
        elif s == DayState.FROZEN:
            frozen += 1
    assert streak == evaluation.current_streak
    assert best == evaluation.best_streak
    assert frozen == sum(type(e).__name__ == "FreezeUsed" for e in evaluation.events)


@settings(max_examples=200, deadline=None)
@given(histories())
def test_completion_rates_total_equals_the_naive_count(history):
    spec, values, pauses, today = history
    schedule, target = specs(spec)
    rates = completion_rates(
        schedule,
        target,
        values=values,
        pauses=[DayRange(a, b) for a, b in pauses],
        start=spec["start"] - 7 * D,
        end=today,
        today=today,
    )
    want, _ = naive(spec, values, pauses, today)
    assert (rates.total.met, rates.total.scheduled) == (want["met"], want["counted"])
    assert sum(r.scheduled for r in rates.by_week.values()) == want["counted"]
    assert sum(r.met for r in rates.by_month.values()) == want["met"]
