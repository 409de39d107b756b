"""tasks-service settings: the shared base plus what is this service's own."""

from pathlib import Path

from cotask_common.settings import build_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    build_settings(
        service="tasks",
        base_dir=BASE_DIR,
        local_apps=[
            "tasks.rooms",
            "tasks.planning",
            "tasks.comments",
            "tasks.mediafiles",
            "tasks.reminders",
            "tasks.analytics",
            "tasks.calendar",
            "tasks.concretizer",
            "tasks.agenda",
        ],
        title="CoTask tasks API",
        description=(
            "Team rooms with join codes, each person's personal space, tasks on a board,"
            " subtasks, dependencies, recurrence, comments and history."
        ),
    )
)

from cotask_common.env import env_str  # noqa: E402

# Wrong join codes a person may try before being refused for a while ("<count>/<period>";
# empty: no limit). 36**9 codes make guessing hopeless even without it; the limit stops
# someone from trying a leaked list of old codes or hammering the database.
TASKS_JOIN_CODE_GUESS_RATE = env_str("TASKS_JOIN_CODE_GUESS_RATE", "10/15m")

# Celery beat: the deadline reminder and overdue pass (tasks/reminders/tasks.py). Every minute
# at its start by default; TASKS_REMINDER_PASS_SECONDS below 60 runs it that often instead (the
# end-to-end tests). Each pass takes only what is due (by index) and claims rows with
# SKIP LOCKED: one index probe when nothing is due, and overlapping runs send nothing twice.
from datetime import timedelta  # noqa: E402

from celery.schedules import crontab  # noqa: E402

from cotask_common.env import env_int  # noqa: E402

TASKS_REMINDER_PASS_SECONDS = env_int("TASKS_REMINDER_PASS_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    **globals()["CELERY_BEAT_SCHEDULE"],  # set by build_settings
    "tasks-send-due-reminders": {
        "task": "tasks.send_due_reminders",
        "schedule": crontab()
        if TASKS_REMINDER_PASS_SECONDS >= 60
        else timedelta(seconds=max(TASKS_REMINDER_PASS_SECONDS, 1)),
    },
}

# Calendar feeds (tasks.calendar): fetches of feed addresses per client address
# ("<count>/<period>"; empty: no limit), and the public origin the addresses are given with
# (empty: the origin of the request that made the feed, as the gateway forwards it).
TASKS_CALENDAR_FEED_RATE = env_str("TASKS_CALENDAR_FEED_RATE", "600/h")
TASKS_CALENDAR_PUBLIC_URL = env_str("TASKS_CALENDAR_PUBLIC_URL", "").rstrip("/")

# The goal concretizer (tasks.concretizer; README "Concretizer"). With no API base the offline
# rules planner answers (`make run`); with one, an OpenAI-compatible chat-completions API
# (hosted, or local: Ollama, vLLM, llama.cpp) does, falling back to the rules.
CONCRETIZER_PROVIDER = env_str("CONCRETIZER_PROVIDER", "")  # "" (auto), "rules" or "llm"
CONCRETIZER_API_BASE = env_str("CONCRETIZER_API_BASE", "")  # e.g. https://api.openai.com/v1
CONCRETIZER_MODEL = env_str("CONCRETIZER_MODEL", "gpt-4o-mini")
CONCRETIZER_API_KEY = env_str("CONCRETIZER_API_KEY", "")
CONCRETIZER_TIMEOUT_MS = env_int("CONCRETIZER_TIMEOUT_MS", 20_000)
CONCRETIZER_MAX_TOKENS = env_int("CONCRETIZER_MAX_TOKENS", 1_500)
CONCRETIZER_RETRIES = env_int("CONCRETIZER_RETRIES", 2)  # on 429 and 5xx
CONCRETIZER_BACKOFF_MS = env_int("CONCRETIZER_BACKOFF_MS", 500)  # doubled per retry
CONCRETIZER_RETRY_AFTER_MAX_SECONDS = env_int("CONCRETIZER_RETRY_AFTER_MAX_SECONDS", 10)
CONCRETIZER_BREAKER_FAILURES = env_int("CONCRETIZER_BREAKER_FAILURES", 5)
CONCRETIZER_BREAKER_SECONDS = env_int("CONCRETIZER_BREAKER_SECONDS", 60)
# Billed answers a day (0: no limit): per person, and for everyone together.
CONCRETIZER_USER_DAILY_QUOTA = env_int("CONCRETIZER_USER_DAILY_QUOTA", 20)
CONCRETIZER_DAILY_BUDGET = env_int("CONCRETIZER_DAILY_BUDGET", 2_000)

# The agenda (tasks.agenda; README "Agenda"): the minutes a day holds before the planner
# suggests moving tasks off it, and the estimates of what has none: a task without
# `estimate_minutes`, a scheduled habit, a card when the person has no recent answers.
AGENDA_DAY_MINUTES = env_int("AGENDA_DAY_MINUTES", 240)
AGENDA_TASK_MINUTES = env_int("AGENDA_TASK_MINUTES", 30)
AGENDA_HABIT_MINUTES = env_int("AGENDA_HABIT_MINUTES", 10)
AGENDA_CARD_SECONDS = env_int("AGENDA_CARD_SECONDS", 10)
