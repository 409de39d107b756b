"""The evaluation set (eval/goals.json: 30 vague goals, 10 per language) passes every check
(eval/checks.py) with the offline planner; the checks themselves catch what they should."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from tasks.concretizer.eval.checks import (
    check_plan,
    in_language,
    load_goals,
    request_for,
    starts_with_verb,
)
from tasks.concretizer.planner import PlanRequest, RulesPlanner, detect_language

TODAY = date(2026, 12, 3)
GOALS = load_goals()


def test_the_set_has_ten_goals_per_language():
    assert Counter(item["language"] for item in GOALS) == {"en": 10, "ru": 10, "uk": 10}


@pytest.mark.parametrize("item", GOALS, ids=[g["goal"] for g in GOALS])
def test_the_offline_planner_passes_every_check(item):
    planner = RulesPlanner()
    request = request_for(item, today=TODAY)
    result = planner.plan(request)
    if result.questions:
        assert item.get("answers"), "a vague goal of the set needs its answers"
        assert len(result.questions) <= 3
        assert all(in_language(q, item["language"]) for q in result.questions)
        request = request_for(item, today=TODAY, answers=True)
        result = planner.plan(request)
    assert result.provider == "rules"
    assert check_plan(result.steps, request).failures == []


@pytest.mark.parametrize("item", GOALS, ids=[g["goal"] for g in GOALS])
def test_the_goals_language_is_recognised(item):
    assert detect_language(item["goal"], preferred=item["language"]) == item["language"]


def test_the_checks_catch_bad_plans():
    request = PlanRequest(
        goal="g", language="en", today=TODAY, deadline=TODAY + timedelta(days=1), minutes_per_day=60
    )
    step = {"title": "Write the draft", "estimate_minutes": 30, "due": TODAY.isoformat()}
    assert check_plan([dict(step, title=f"Write part {n}") for n in range(3)], request).passed
    assert not check_plan([step], request).passed  # too few
    assert not check_plan([step, step, dict(step, title="Read it")], request).passed  # twice
    late = dict(step, due=(TODAY + timedelta(days=5)).isoformat())
    assert not check_plan(
        [late, dict(step, title="Read"), dict(step, title="Send")], request
    ).passed
    big = dict(step, estimate_minutes=500)
    assert not check_plan([big, dict(step, title="Read"), dict(step, title="Send")], request).passed
    assert not starts_with_verb("The draft", "en")
    assert starts_with_verb("Написать черновик", "ru") and not starts_with_verb("Черновик", "ru")
    assert starts_with_verb("Написати чернетку", "uk") and not starts_with_verb("Чернетка", "uk")
    assert not in_language("Написать чернетку і", "ru") and not in_language("Write", "uk")
