"""Celery beat's work for habits: the reminder pass and the day close, every minute
(CELERY_BEAT_SCHEDULE in config/settings.py; `make run` runs beat inside each service's worker)."""

from __future__ import annotations

from celery import shared_task

from habits.tracking import reminders


@shared_task(name="habits.send_due_reminders")
def send_due_reminders() -> int:
    return reminders.send_due_reminders().sent


@shared_task(name="habits.close_due_days")
def close_due_days() -> int:
    return reminders.close_due_days().sent
