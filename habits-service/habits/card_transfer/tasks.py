"""Celery work of card import: running a job, and queueing again jobs whose message was lost
(beat, every minute)."""

from __future__ import annotations

from celery import shared_task

from habits.card_transfer import services


@shared_task(name="habits.run_card_import", acks_late=True)
def run_import(job_id: str) -> str | None:
    job = services.import_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="habits.requeue_card_imports")
def requeue_card_imports() -> int:
    return services.requeue_stale()
