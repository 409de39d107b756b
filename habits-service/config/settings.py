"""habits-service settings: the shared base plus what is this service's own."""

from pathlib import Path
from typing import TYPE_CHECKING

from celery.schedules import crontab

from cotask_common.env import env_int
from cotask_common.settings import build_settings

if TYPE_CHECKING:  # the names build_settings() sets, typed for mypy (see the module)
    from cotask_common.settings_names import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="habits",
        base_dir=BASE_DIR,
        local_apps=["habits.tracking", "habits.cards", "habits.card_transfer"],
        title="CoTask habits API",
        description=(
            "Habits with schedules, check-ins, forgiving streaks, reminders and history;"
            " spaced-repetition cards (decks, notes, FSRS-6 scheduling, due queue, statistics)."
        ),
    )
)

# Two choice fields are both called `kind`: their enums get names of their own in the document
# (and in generated clients), not a hash suffix.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {  # noqa: F405 - set by build_settings
    "HabitKindEnum": "habits.tracking.models.HabitKind",
    "ImportKindEnum": "habits.card_transfer.models.ImportKind",
}

# Celery beat: the habits reminder pass and the day close (habits/tracking/tasks.py), at the
# start of every minute (reminders are HH:MM, so one fires within seconds of its minute). Each
# pass takes only what is due (by index) and claims rows with SKIP LOCKED: one index probe when
# nothing is due, and overlapping runs send nothing twice.
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,  # noqa: F405 - set by build_settings
    "habits-send-due-reminders": {"task": "habits.send_due_reminders", "schedule": crontab()},
    "habits-close-due-days": {"task": "habits.close_due_days", "schedule": crontab()},
    # Cards: the daily "cards due" reminders and review summaries (habits/cards/daily.py).
    "habits-cards-daily": {"task": "habits.cards.daily", "schedule": crontab()},
}

# Card import (habits/card_transfer): the largest file (bytes) and the most notes in one file.
HABITS_CARDS_IMPORT_MAX_BYTES = env_int("HABITS_CARDS_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
HABITS_CARDS_IMPORT_MAX_NOTES = env_int("HABITS_CARDS_IMPORT_MAX_NOTES", 100_000)
CELERY_BEAT_SCHEDULE["habits-requeue-card-imports"] = {
    "task": "habits.requeue_card_imports",
    "schedule": crontab(),
}
