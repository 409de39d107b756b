"""Celery beat's work for deadlines: the reminder and overdue pass, every minute
(CELERY_BEAT_SCHEDULE in config/settings.py; `make run` runs beat inside the worker)."""

from __future__ import annotations

from celery import shared_task

from tasks.reminders import sending


@shared_task(name="tasks.send_due_reminders")
def send_due_reminders() -> int:
    result = sending.send_due_reminders()
    return result.sent + result.overdue
