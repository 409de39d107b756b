"""Celery work for cards: fitting a person's FSRS parameters to their reviews
(`habits.cards.optimize`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from celery import shared_task
from django.db import transaction

from habits.cards.models import CardProfile
from habits.cards.services import profile_for


def request_optimization(*, user_id: Any) -> CardProfile:
    """Mark the person's fit queued and start it after the commit."""
    with transaction.atomic():
        profile = profile_for(user_id=user_id)
        profile.optimization_status = "queued"
        profile.save(update_fields=["optimization_status", "updated_at"])
        transaction.on_commit(lambda: optimize.delay(str(user_id)))
    return profile


@shared_task(name="habits.cards.daily")
def daily() -> int:
    """Beat, every minute: the "cards due" reminders, the summaries of ended days and the
    forecasts of changed queues."""
    from habits.cards import daily as passes

    return (
        passes.send_reminders().sent + passes.send_summaries().sent + passes.send_forecasts().sent
    )


@shared_task(name="habits.cards.optimize")
def optimize(user_id: str) -> str:
    from habits.cards import optimization

    return optimization.optimize_for(user_id=UUID(user_id))
