"""The text of each kind of progress post, in the person's language (`render` runs under
`translation.override`). The card carries the same figures for clients that draw their own."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext, ngettext


def _task_completed(figures: dict[str, Any], names: dict[str, str]) -> str:
    if "title" not in names:
        return gettext("Completed a task in a private room.")
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


def _cards_weekly(figures: dict[str, Any], names: dict[str, str], variant: str = "") -> str:
    if variant == "late":  # posted with the next week's first study day
        return (
            ngettext(
                "Reviewed %(reviews)s card last week in %(minutes)s min.",
                "Reviewed %(reviews)s cards last week in %(minutes)s min.",
                figures["reviews"],
            )
            % figures
        )
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


def _room_milestone(figures: dict[str, Any], names: dict[str, str], variant: str = "") -> str:
    # The room is named only when it is neither private nor a personal space (`names` has it).
    values = {**names, **figures}
    if variant == "personal":
        return (
            ngettext(
                "%(tasks)s task completed in my personal space!",
                "%(tasks)s tasks completed in my personal space!",
                figures["tasks"],
            )
            % values
        )
    if "room" in names:
        return (
            ngettext(
                "Our room “%(room)s” reached %(tasks)s completed task!",
                "Our room “%(room)s” reached %(tasks)s completed tasks!",
                figures["tasks"],
            )
            % values
        )
    return (
        ngettext(
            "A private room I am in reached %(tasks)s completed task!",
            "A private room I am in reached %(tasks)s completed tasks!",
            figures["tasks"],
        )
        % values
    )


_TEXTS: dict[str, Any] = {
    "task_completed": _task_completed,
    "streak_milestone": _streak_milestone,
    "cards_daily": _cards_daily,
    "cards_weekly": _cards_weekly,
    "plan_accepted": _plan_accepted,
    "room_milestone": _room_milestone,
}


def render(
    *, kind: str, figures: dict[str, Any], names: dict[str, str], language: str, variant: str = ""
) -> str:
    """`variant` picks another wording of the same card (a late weekly summary, a personal
    space's milestone)."""
    with translation.override(language):
        if variant:
            return str(_TEXTS[kind](figures, names, variant))
        return str(_TEXTS[kind](figures, names))
