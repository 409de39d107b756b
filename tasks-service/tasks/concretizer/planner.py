# ruff: noqa: RUF001 - Cyrillic letters are what the language detection looks for
"""The planners behind one interface: `plan(request) -> PlanResult`.

`RulesPlanner` (offline, the default) fills per-language templates by the goal's shape;
`ChatCompletionsPlanner` (tasks/concretizer/llm.py) asks an OpenAI-compatible API and falls
back to the rules. Both hand their steps to `schedule`, which makes the estimates fit the time
available before the deadline and puts each step's suggested deadline inside the goal's.

A step: {"n": 1-based order, "title", "description", "estimate_minutes", "due": ISO date,
"depends_on": [earlier n, ...]}.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from tasks.concretizer import templates

LANGUAGES = ("en", "ru", "uk")
LEVELS = ("beginner", "intermediate", "advanced", "expert")
MIN_STEPS, MAX_STEPS = 3, 12
MAX_QUESTIONS = 3
DEFAULT_MINUTES_PER_DAY = 30
MAX_TOTAL_MINUTES = 100_000  # planning's own limit of one task's estimate
GOAL_IN_TITLE = 80  # characters of the goal a step title quotes

_UK_ONLY = set("іїєґ")
_RU_ONLY = set("ыэёъ")
_WORD = re.compile(r"[\w'’-]+", re.UNICODE)


@dataclass
class PlanRequest:
    goal: str
    language: str
    today: date
    level: str = "intermediate"
    deadline: date | None = None
    minutes_per_day: int | None = None
    minutes_per_week: int | None = None
    answers: list[str] = field(default_factory=list)
    # A finer breakdown of one step of another plan: its title, estimate and due.
    breakdown_of: dict[str, Any] | None = None
    user_id: Any = None


@dataclass
class PlanResult:
    provider: str  # "rules" or "llm"
    steps: list[dict[str, Any]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    fallback_reason: str = ""  # why the rules answered when an API was configured
    llm_calls: int = 0


class Planner(Protocol):
    def plan(self, request: PlanRequest) -> PlanResult: ...


# ---------------------------------------------------------------------------------------------
# Language and shape


def detect_language(text: str, preferred: str = "en") -> str:
    """en for Latin letters, uk or ru for Cyrillic by the letters only one of them has (a
    Cyrillic text with none of them: `preferred` if it is ru or uk, else ru)."""
    lowered = text.lower()
    cyrillic = sum(1 for ch in lowered if "а" <= ch <= "я" or ch in "іїєґё")
    latin = sum(1 for ch in lowered if "a" <= ch <= "z")
    if cyrillic <= latin:
        return "en"
    uk, ru = sum(ch in _UK_ONLY for ch in lowered), sum(ch in _RU_ONLY for ch in lowered)
    if uk > ru:
        return "uk"
    if ru > uk:
        return "ru"
    return preferred if preferred in ("ru", "uk") else "ru"


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def detect_shape(text: str, language: str) -> str | None:
    """The goal shape whose keyword stems the goal's words start with most (ties: the order
    of `templates.SHAPES`); None when no keyword is found."""
    tokens = words(text)
    best, best_score = None, 0
    for shape in templates.SHAPES:
        stems = templates.KEYWORDS[language][shape]
        score = sum(1 for t in tokens for s in stems if t.startswith(s))
        if score > best_score:
            best, best_score = shape, score
    return best


def horizon_for(request: PlanRequest) -> int:
    """Days a plan without a deadline spans: by the goal's shape (a breakdown: a week)."""
    if request.breakdown_of is not None:
        return 7
    text = " ".join([request.goal, *request.answers])
    return templates.HORIZON_DAYS[detect_shape(text, request.language) or "generic"]


def is_vague(text: str, language: str) -> bool:
    """Too vague to plan: at most two words and no known shape ("life", "stuff")."""
    return len(words(text)) <= 2 and detect_shape(text, language) is None


# ---------------------------------------------------------------------------------------------
# Scheduling: estimates that fit the time available, deadlines inside the goal's


def daily_minutes(request: PlanRequest) -> int:
    if request.minutes_per_day:
        return request.minutes_per_day
    if request.minutes_per_week:
        return max(1, request.minutes_per_week // 7)
    return DEFAULT_MINUTES_PER_DAY


def available_minutes(request: PlanRequest, *, horizon_days: int) -> tuple[int, date]:
    """The minutes available from today to the deadline (or the horizon), and the last day."""
    last = request.deadline or request.today + timedelta(days=horizon_days - 1)
    last = max(last, request.today)
    days = (last - request.today).days + 1
    return min(days * daily_minutes(request), MAX_TOTAL_MINUTES), last


def schedule(
    steps: list[dict[str, Any]], request: PlanRequest, *, horizon_days: int
) -> list[dict[str, Any]]:
    """Number the steps, share the available minutes by weight (`estimate_minutes` already set
    by a provider is kept while the sum fits, else scaled down), and give each step a due date:
    the day its share of the daily time is used up, never after the goal's deadline."""
    budget, last = available_minutes(request, horizon_days=horizon_days)
    if request.breakdown_of and request.breakdown_of.get("estimate_minutes"):
        budget = min(budget, int(request.breakdown_of["estimate_minutes"]))
    weights = [max(1, int(s.pop("weight", 0) or s.get("estimate_minutes") or 1)) for s in steps]
    given = [s.get("estimate_minutes") for s in steps]
    if all(isinstance(g, int) and g > 0 for g in given) and sum(given) <= budget:  # type: ignore[arg-type]
        estimates = [int(g) for g in given]  # type: ignore[arg-type]
    else:
        total = sum(weights)
        unit = 5 if budget >= 10 * len(steps) else 1
        estimates = [max(1, (budget * w // total) // unit * unit) for w in weights]
        while sum(estimates) > budget and max(estimates) > 1:  # the minimum of 1 can overshoot
            estimates[estimates.index(max(estimates))] -= 1
    per_day = daily_minutes(request)
    used = 0
    for index, (step, estimate) in enumerate(zip(steps, estimates, strict=True), start=1):
        used += estimate
        day = request.today + timedelta(days=max(0, math.ceil(used / per_day) - 1))
        step["n"] = index
        step["estimate_minutes"] = estimate
        step["due"] = min(day, last).isoformat()
        depends = step.get("depends_on")
        if depends is None:
            depends = [index - 1] if index > 1 else []
        step["depends_on"] = sorted({d for d in depends if isinstance(d, int) and 0 < d < index})
        step.setdefault("description", "")
    return steps


# ---------------------------------------------------------------------------------------------
# The offline planner


def _quote(goal: str) -> str:
    goal = " ".join(goal.split())
    return goal if len(goal) <= GOAL_IN_TITLE else goal[: GOAL_IN_TITLE - 1].rstrip() + "…"


class RulesPlanner:
    """Templates by goal shape, in the goal's language. Never pretends to be AI."""

    provider = "rules"

    def plan(self, request: PlanRequest) -> PlanResult:
        language = request.language if request.language in LANGUAGES else "en"
        if request.breakdown_of is not None:
            return PlanResult(provider=self.provider, steps=self._breakdown(request, language))
        text = " ".join([request.goal, *request.answers])
        if not request.answers and is_vague(request.goal, language):
            return PlanResult(
                provider=self.provider, questions=templates.QUESTIONS[language][:MAX_QUESTIONS]
            )
        shape = detect_shape(text, language) or "generic"
        expert = request.level == "expert"
        goal = _quote(request.goal if not request.answers else (request.answers[0] or request.goal))
        steps = [
            {
                "title": step.title.format(goal=goal),
                "description": step.description,
                "weight": step.weight,
            }
            for step in templates.TEMPLATES[language][shape]
            if not (expert and step.basic)
        ][:MAX_STEPS]
        return PlanResult(
            provider=self.provider,
            steps=schedule(steps, request, horizon_days=horizon_for(request)),
        )

    def _breakdown(self, request: PlanRequest, language: str) -> list[dict[str, Any]]:
        of = request.breakdown_of or {}
        title = _quote(str(of.get("title") or request.goal))
        steps = [
            {
                "title": step.title.format(step=title),
                "description": step.description,
                "weight": step.weight,
            }
            for step in templates.BREAKDOWN[language]
        ]
        return schedule(steps, request, horizon_days=horizon_for(request))
