"""habits-service's notification types (handlers in notifications/habits/events.py).

Texts are gettext messages in the service's catalogues, like every type's (inbox/types.py).
`%(habit)s` is the habit's name at the time of the event. Counts (`%(streak)s`, `%(freezes)s`)
are phrases made with `ngettext` in each language when the event is handled
(`inbox.types.counted`), so "1 day" / "2 дня" / "5 днів" follow each language's plural rules
and the sentences themselves hold no number. Only the owner ever hears about a habit, and
nobody acted: no actor, never grouped. The habits whose reminders come at one time are told in
one notification ("3 habits to check in (07:30): Run, Read, Write").
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, ngettext_lazy

from notifications.inbox.types import NotificationType, register_type

HABIT_STREAK_MILESTONE = register_type(
    NotificationType(
        key="habit_streak_milestone",
        description=gettext_lazy("A habit's streak reached 7, 30, 100 or 365."),
        email=False,
        single=gettext_lazy("“%(habit)s”: %(streak)s in a row!"),
    )
)
HABIT_STREAK_BROKEN = register_type(
    NotificationType(
        key="habit_streak_broken",
        description=gettext_lazy("A habit's streak ended on a missed day with no freeze left."),
        email=False,
        single=gettext_lazy("Your streak on “%(habit)s” ended after %(streak)s"),
    )
)
HABIT_FREEZE_USED = register_type(
    NotificationType(
        key="habit_freeze_used",
        description=gettext_lazy("A freeze kept a habit's streak on a missed day."),
        email=False,
        single=gettext_lazy("A freeze kept your streak on “%(habit)s” (%(streak)s). %(freezes)s"),
    )
)
HABIT_REMINDER = register_type(
    NotificationType(
        key="habit_reminder",
        description=gettext_lazy("A habit's reminder at the local time you chose."),
        single=gettext_lazy("Time for “%(habit)s” (%(time)s)"),
        # The habits due at one time, told at once: `%(habits)s` names the first few.
        several=ngettext_lazy(
            "%(count)d habit to check in (%(time)s): %(habits)s",
            "%(count)d habits to check in (%(time)s): %(habits)s",
            "count",
        ),
    )
)
CARDS_DUE = register_type(
    NotificationType(
        key="cards_due",
        description=gettext_lazy("Your daily reminder of the cards waiting for review."),
        single=gettext_lazy("%(cards)s to review today"),
    )
)
