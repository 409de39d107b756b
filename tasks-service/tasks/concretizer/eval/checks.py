# ruff: noqa: RUF001, RUF002 - Cyrillic letters are what these checks look for
"""The evaluation set's checks (goals.json), shared by the offline planner's test and
`bench/concretizer_eval.py` (any configured provider).

Per plan: 3–12 steps; every step's title starts with a verb; the steps are in the goal's
language; the estimates fit the time available before the deadline and every step's due date
is inside it; no two steps have the same title.

Verb-first, per language:
- en: the first word is in `EN_VERBS` (the imperative base forms plans use; a list, because
  English verbs have no ending to recognise them by);
- ru: the first word is an infinitive (ends in -ть, -ться, -ти, -тись, -чь, -чься) or an
  imperative (ends in -й, -йте, -и, -ите, -ь, -ьте), the forms Russian to-do items take;
- uk: an infinitive (-ти, -тися, -тись, -чи) or an imperative (-й, -йте, -и, -іть, -ь, -ьте).
Language: en steps have no Cyrillic letters; ru steps none of і ї є ґ; uk steps none of
ы э ё ъ (and both have more Cyrillic than Latin letters).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tasks.concretizer.planner import PlanRequest, available_minutes, horizon_for, words

GOALS_FILE = Path(__file__).with_name("goals.json")

EN_VERBS = frozenset(
    [
        "add",
        "agree",
        "apply",
        "arrange",
        "ask",
        "attend",
        "block",
        "book",
        "break",
        "build",
        "buy",
        "call",
        "cancel",
        "check",
        "choose",
        "clarify",
        "clean",
        "collect",
        "compare",
        "complete",
        "contact",
        "create",
        "cut",
        "decide",
        "define",
        "delete",
        "describe",
        "design",
        "do",
        "draft",
        "draw",
        "drink",
        "eat",
        "edit",
        "email",
        "enrol",
        "enroll",
        "estimate",
        "exercise",
        "explore",
        "fill",
        "find",
        "finish",
        "fix",
        "follow",
        "gather",
        "get",
        "give",
        "go",
        "handle",
        "hire",
        "identify",
        "implement",
        "improve",
        "increase",
        "install",
        "join",
        "keep",
        "launch",
        "learn",
        "list",
        "listen",
        "make",
        "mark",
        "measure",
        "meet",
        "memorise",
        "memorize",
        "move",
        "note",
        "open",
        "order",
        "organise",
        "organize",
        "outline",
        "pack",
        "pay",
        "pick",
        "plan",
        "practice",
        "practise",
        "prepare",
        "print",
        "proofread",
        "publish",
        "put",
        "read",
        "record",
        "reduce",
        "register",
        "remove",
        "repeat",
        "replace",
        "research",
        "review",
        "revise",
        "rewrite",
        "run",
        "save",
        "schedule",
        "select",
        "send",
        "set",
        "share",
        "show",
        "sign",
        "sketch",
        "sleep",
        "sort",
        "speak",
        "split",
        "start",
        "stop",
        "study",
        "submit",
        "take",
        "talk",
        "test",
        "track",
        "train",
        "try",
        "update",
        "use",
        "visit",
        "walk",
        "watch",
        "write",
    ]
)
RU_ENDINGS = ("ть", "ться", "ти", "тись", "чь", "чься", "й", "йте", "и", "ите", "ь", "ьте")
UK_ENDINGS = ("ти", "тися", "тись", "чи", "й", "йте", "и", "іть", "ь", "ьте")


def load_goals() -> list[dict[str, Any]]:
    return json.loads(GOALS_FILE.read_text(encoding="utf-8"))["goals"]


def request_for(item: dict[str, Any], *, today: date, answers: bool = False) -> PlanRequest:
    days = item.get("deadline_in_days")
    return PlanRequest(
        goal=item["goal"],
        language=item["language"],
        today=today,
        level=item.get("level", "intermediate"),
        deadline=today + timedelta(days=days) if days else None,
        minutes_per_day=item.get("minutes_per_day"),
        minutes_per_week=item.get("minutes_per_week"),
        answers=list(item.get("answers", [])) if answers else [],
    )


def starts_with_verb(title: str, language: str) -> bool:
    found = words(title)
    if not found:
        return False
    first = found[0]
    if language == "en":
        return first in EN_VERBS
    return first.endswith(RU_ENDINGS if language == "ru" else UK_ENDINGS)


def in_language(text: str, language: str) -> bool:
    lowered = text.lower()
    cyrillic = sum(1 for ch in lowered if "а" <= ch <= "я" or ch in "іїєґё")
    latin = sum(1 for ch in lowered if "a" <= ch <= "z")
    if language == "en":
        return cyrillic == 0
    if cyrillic <= latin:
        return False
    banned = set("іїєґ") if language == "ru" else set("ыэёъ")
    return not any(ch in banned for ch in lowered)


@dataclass
class Score:
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def check_plan(steps: list[dict[str, Any]], request: PlanRequest) -> Score:
    """Every check of one plan; `failures` names the ones that failed."""
    score = Score()
    if not 3 <= len(steps) <= 12:
        score.failures.append(f"step count {len(steps)}")
    titles = [str(s.get("title", "")) for s in steps]
    for title in titles:
        if not starts_with_verb(title, request.language):
            score.failures.append(f"not verb-first: {title!r}")
        if not in_language(title, request.language):
            score.failures.append(f"not in {request.language}: {title!r}")
    if len({t.strip().lower() for t in titles}) != len(titles):
        score.failures.append("duplicate steps")
    budget, _last = available_minutes(request, horizon_days=horizon_for(request))
    total = sum(int(s.get("estimate_minutes") or 0) for s in steps)
    if total > budget:
        score.failures.append(f"estimates {total} min > {budget} min available")
    for step in steps:
        due = step.get("due")
        if request.deadline is not None and due and date.fromisoformat(due) > request.deadline:
            score.failures.append(f"due {due} after the deadline {request.deadline}")
        if due and date.fromisoformat(due) < request.today:
            score.failures.append(f"due {due} before today")
    return score
