"""The text of each kind of progress post, in the person's language (`render` runs under
`translation.override`). The card carries the same figures for clients that draw their own."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext, ngettext


def _task_completed(figures: dict[str, Any], names: dict[str, str]) -> str:
    if names.get("room"):
        return gettext("Completed “%(title)s” in %(room)s.") % names
    return gettext("Completed “%(title)s”.") % names


def _streak_milestone(figures: dict[str, Any], names: dict[str, str]) -> str:
    values = {**names, **figures}
    if "weeks" in figures:
        return (
            ngettext(
                "A %(weeks)s-week streak of “%(habit)s”!",
                "A %(weeks)s-week streak of “%(habit)s”!",
                figures["weeks"],
            )
            % values
        )
    return (
        ngettext(
            "A %(days)s-day streak of “%(habit)s”!",
            "A %(days)s-day streak of “%(habit)s”!",
            figures["days"],
        )
        % values
    )


def _cards_daily(figures: dict[str, Any], names: dict[str, str]) -> str:
    return (
        ngettext(
            "Reviewed %(reviews)s card today in %(minutes)s min.",
            "Reviewed %(reviews)s cards today in %(minutes)s min.",
            figures["reviews"],
        )
        % figures
    )


def _cards_weekly(figures: dict[str, Any], names: dict[str, str]) -> str:
    return (
        ngettext(
            "Reviewed %(reviews)s card this week in %(minutes)s min.",
            "Reviewed %(reviews)s cards this week in %(minutes)s min.",
            figures["reviews"],
        )
        % figures
    )


def _plan_accepted(figures: dict[str, Any], names: dict[str, str]) -> str:
    return (
        ngettext(
            "Turned a goal into a plan of %(steps)s step.",
            "Turned a goal into a plan of %(steps)s steps.",
            figures["steps"],
        )
        % figures
    )


_TEXTS = {
    "task_completed": _task_completed,
    "streak_milestone": _streak_milestone,
    "cards_daily": _cards_daily,
    "cards_weekly": _cards_weekly,
    "plan_accepted": _plan_accepted,
}


def render(*, kind: str, figures: dict[str, Any], names: dict[str, str], language: str) -> str:
    with translation.override(language):
        return _TEXTS[kind](figures, names)
