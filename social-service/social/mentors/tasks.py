from __future__ import annotations

from celery import shared_task

from social.mentors import services


@shared_task(name="social.refresh_mentor_ranks")
def refresh_mentor_ranks() -> int:
    return services.refresh_ranks()
