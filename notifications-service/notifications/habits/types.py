"""habits-service's notification types (handlers in notifications/habits/events.py).

{habit} is the habit's name at the time of the event. Counts ({streak}, {freezes}) are filled
with phrases made by `ngettext` in each language (services.counted), so "1 day" / "2 дня" /
"5 днів" follow each language's plural rules; the sentence templates themselves hold no count.
Only the owner ever hears about a habit, and nobody acted: no actor, never grouped.
"""

from __future__ import annotations

from notifications.inbox.types import NotificationType, register_type

HABIT_STREAK_MILESTONE = register_type(
    NotificationType(
        key="habit_streak_milestone",
        description="A habit's streak reached 7, 30, 100 or 365.",
        email=False,
        texts={
            "en": ("“{habit}”: {streak} in a row!", ""),
            "ru": ("«{habit}»: {streak} подряд!", ""),
            "uk": ("«{habit}»: {streak} поспіль!", ""),
        },
    )
)
HABIT_STREAK_BROKEN = register_type(
    NotificationType(
        key="habit_streak_broken",
        description="A habit's streak ended on a missed day with no freeze left.",
        email=False,
        texts={
            "en": ("Your streak on “{habit}” ended after {streak}", ""),
            "ru": ("Серия «{habit}» прервалась: было {streak} подряд", ""),
            "uk": ("Серія «{habit}» перервалася: було {streak} поспіль", ""),
        },
    )
)
HABIT_FREEZE_USED = register_type(
    NotificationType(
        key="habit_freeze_used",
        description="A freeze kept a habit's streak on a missed day.",
        email=False,
        texts={
            "en": ("A freeze kept your streak on “{habit}” ({streak}). {freezes}", ""),
            "ru": ("Заморозка сохранила серию «{habit}» ({streak}). {freezes}", ""),
            "uk": ("Заморозка зберегла серію «{habit}» ({streak}). {freezes}", ""),
        },
    )
)
HABIT_REMINDER = register_type(
    NotificationType(
        key="habit_reminder",
        description="A habit's reminder at the local time you chose.",
        texts={
            "en": ("Time for “{habit}” ({time})", ""),
            "ru": ("Пора: «{habit}» ({time})", ""),
            "uk": ("Час для «{habit}» ({time})", ""),
        },
    )
)
