"""The daily card events, from Celery beat every minute (`habits.cards.daily`):

- `habits.cards.due`: at the person's chosen local time, if cards wait for them today;
- `habits.cards.review_summary`: when a study day in which they answered has ended;
- `habits.cards.forecast`: the cards due over the next days, once a day at the study day's
  start and with the next pass after the queue changed (`services.forecast_soon`).

Each pass selects only rows whose instant has come (`next_reminder_at` / `next_summary_at`,
indexed) and claims them with SKIP LOCKED (where the database has it), so overlapping passes
publish nothing twice. `next_summary_at` is set by the first answer of a day
(`services.card_answer`) and cleared when the summary goes out: people who did not study get
no summary and cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from cotask_common.contracts.habits import FORECAST_DAYS
from cotask_common.events.outbox import publish_event
from cotask_common.localtime import zone_named
from habits.cards import scheduling
from habits.cards.models import Card, CardProfile, CardState, Rating, Review

BATCH = 500


@dataclass
class Pass:
    sent: int = 0
    seen: int = 0


def _claim(field: str, now: datetime) -> list[CardProfile]:
    rows = CardProfile.objects.select_related("owner").filter(**{f"{field}__lte": now})
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows.order_by(field)[:BATCH])


def send_reminders(*, now: datetime | None = None) -> Pass:
    from habits.cards.selectors import due_queue
    from habits.cards.services import next_reminder

    now = now or timezone.now()
    result = Pass()
    with transaction.atomic():
        for profile in _claim("next_reminder_at", now):
            result.seen += 1
            owner = profile.owner
            zone = zone_named(owner.time_zone)
            queue = due_queue(user=owner, limit=0, now=now)
            if any(queue.counts.values()) and profile.reminder_time is not None:
                publish_event(
                    type="habits.cards.due",
                    key=owner.id,
                    data={
                        "owner_id": str(owner.id),
                        "day": queue.today.isoformat(),
                        "local_time": profile.reminder_time.strftime("%H:%M"),
                        **queue.counts,
                    },
                )
                result.sent += 1
            profile.next_reminder_at = next_reminder(
                profile, zone=zone, now=now + timedelta(seconds=1)
            )
            profile.save(update_fields=["next_reminder_at"])
    return result


def send_summaries(*, now: datetime | None = None) -> Pass:
    now = now or timezone.now()
    result = Pass()
    with transaction.atomic():
        for profile in _claim("next_summary_at", now):
            result.seen += 1
            owner = profile.owner
            zone = zone_named(owner.time_zone)
            # The study day that ended at `next_summary_at`.
            ended = profile.next_summary_at or now
            day = scheduling.study_day(
                ended - timedelta(seconds=1),
                zone=zone,
                day_start_hour=profile.day_start_hour,
            )
            review_state = Q(state=CardState.REVIEW)
            row = Review.objects.filter(owner_id=owner.id, day=day).aggregate(
                reviews=Count("id"),
                again=Count("id", filter=Q(rating=Rating.AGAIN)),
                new_cards=Count("id", filter=Q(state=CardState.NEW)),
                duration_ms=Sum("duration_ms"),
                in_review=Count("id", filter=review_state),
                passed=Count("id", filter=review_state & ~Q(rating=Rating.AGAIN)),
            )
            if row["reviews"]:
                publish_event(
                    type="habits.cards.review_summary",
                    key=owner.id,
                    data={
                        "owner_id": str(owner.id),
                        "day": day.isoformat(),
                        "reviews": row["reviews"],
                        "again": row["again"],
                        "new_cards": row["new_cards"],
                        "duration_ms": row["duration_ms"] or 0,
                        "retention": row["passed"] / row["in_review"] if row["in_review"] else None,
                    },
                )
                result.sent += 1
            profile.next_summary_at = None
            profile.save(update_fields=["next_summary_at"])
            _maybe_optimize(profile)
    return result


def _maybe_optimize(profile: CardProfile) -> None:
    """Once a day's end finds N more reviews than the last fit used, fit again (Celery)."""
    from habits.cards.optimization import min_reviews
    from habits.cards.tasks import optimize

    total = Review.objects.filter(owner_id=profile.owner_id).count()
    if total - profile.optimized_reviews >= min_reviews() and profile.optimization_status not in (
        "queued",
        "running",
    ):
        CardProfile.objects.filter(owner_id=profile.owner_id).update(optimization_status="queued")
        owner_id = str(profile.owner_id)
        transaction.on_commit(lambda: optimize.delay(owner_id))


def forecast(*, owner: Any, profile: CardProfile, now: datetime) -> list[dict[str, Any]]:
    """The cards due on each of the next `FORECAST_DAYS` calendar days of the person's zone (the
    days their agenda shows): today, the queue within the decks' daily limits (what they will be
    shown) plus the review cards whose study day begins later today; after it, the review cards
    whose study day begins that day. Two grouped queries beside the queue's own.

    Between midnight and the day-start hour the study day is still yesterday's, so labelling by
    study day would put this queue under yesterday and show nothing for the calendar's today."""
    from habits.cards.selectors import due_queue

    queue = due_queue(user=owner, limit=0, now=now)
    today = now.astimezone(zone_named(owner.time_zone)).date()
    last = today + timedelta(days=FORECAST_DAYS - 1)
    by_day = dict(
        Card.objects.filter(
            owner_id=owner.id,
            state=CardState.REVIEW,
            suspended=False,
            due_day__gt=queue.today,
            due_day__lte=last,
        )
        .values_list("due_day")
        .annotate(n=Count("*"))
    )
    later_today = sum(n for day, n in by_day.items() if day <= today)
    return [{"day": today.isoformat(), "cards": sum(queue.counts.values()) + later_today}] + [
        {"day": day.isoformat(), "cards": by_day.get(day, 0)}
        for day in (today + timedelta(days=i) for i in range(1, FORECAST_DAYS))
    ]


def next_forecast_at(*, zone: Any, profile: CardProfile, now: datetime) -> datetime:
    """The daily forecast goes out at the next study day's start and at the next local
    midnight, whichever comes first: either one changes what the agenda's today holds."""
    study_today = scheduling.study_day(now, zone=zone, day_start_hour=profile.day_start_hour)
    day_start = scheduling.day_start(
        study_today + timedelta(days=1), zone=zone, day_start_hour=profile.day_start_hour
    )
    midnight = scheduling.day_start(
        now.astimezone(zone).date() + timedelta(days=1), zone=zone, day_start_hour=0
    )
    return min(day_start, midnight)


def send_forecasts(*, now: datetime | None = None) -> Pass:
    """`habits.cards.forecast` for every profile whose `forecast_at` came; the next one at the
    next study day's start or local midnight (`next_forecast_at`)."""
    now = now or timezone.now()
    result = Pass()
    with transaction.atomic():
        for profile in _claim("forecast_at", now):
            result.seen += 1
            owner = profile.owner
            publish_event(
                type="habits.cards.forecast",
                key=owner.id,
                data={
                    "owner_id": str(owner.id),
                    "made_at": now.isoformat(),
                    "days": forecast(owner=owner, profile=profile, now=now),
                },
            )
            result.sent += 1
            profile.forecast_at = next_forecast_at(
                zone=zone_named(owner.time_zone), profile=profile, now=now
            )
            profile.save(update_fields=["forecast_at"])
    return result
