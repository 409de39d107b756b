"""Fitting a person's FSRS-6 parameters to their own review log, with `fsrs-rs-python` (the
Rust optimizer of the FSRS authors; the `fsrs` package's own Optimizer needs torch,
docs/decisions.md). Runs in Celery (`tasks.optimize`).

Each card's answers become the optimizer's items (one per answer after the first: the history
up to it, with the days between answers counted in the owner's study days). The loss is the
log loss of both parameter sets on the same items; the new parameters are kept only when they
predict the person's answers better, and apply to every later answer (`services.card_answer`).
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from habits.cards.models import CardProfile, Review

DEFAULT_MIN_REVIEWS = 400


def min_reviews() -> int:
    return int(getattr(settings, "CARDS_OPTIMIZE_MIN_REVIEWS", DEFAULT_MIN_REVIEWS))


def items_for(*, user_id: Any) -> tuple[list[Any], int]:
    """The optimizer's items from the person's reviews, and how many reviews they hold."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    rows = (
        Review.objects.filter(owner_id=user_id)
        .order_by("card_id", "reviewed_at", "id")
        .values_list("card_id", "day", "rating")
    )
    items: list[Any] = []
    count = 0
    for _card, answers in groupby(rows.iterator(chunk_size=5000), key=lambda r: r[0]):
        history: list[Any] = []
        previous = None
        for _c, day, rating in answers:
            count += 1
            delta = 0 if previous is None else (day - previous).days
            previous = day
            history.append(FSRSReview(int(rating), max(0, delta)))
            if len(history) > 1:
                item = FSRSItem(list(history))
                if item.long_term_review_cnt() > 0:
                    items.append(item)
    return items, count


def optimize_for(*, user_id: Any) -> str:
    """Fit, compare and keep; returns the final status."""
    from fsrs.scheduler import DEFAULT_PARAMETERS
    from fsrs_rs_python import FSRS

    profile, _ = CardProfile.objects.get_or_create(owner_id=user_id)
    CardProfile.objects.filter(owner_id=user_id).update(optimization_status="running")
    items, count = items_for(user_id=user_id)
    if count < min_reviews() or not items:
        CardProfile.objects.filter(owner_id=user_id).update(
            optimization_status="not_enough_reviews"
        )
        return "not_enough_reviews"
    current = list(profile.parameters or DEFAULT_PARAMETERS)
    try:
        before = FSRS(current).evaluate(items).log_loss
        fitted = list(FSRS(current).compute_parameters(items))
        after = FSRS(fitted).evaluate(items).log_loss
    except Exception:  # the optimizer refused the data (e.g. degenerate ratings)
        CardProfile.objects.filter(owner_id=user_id).update(optimization_status="failed")
        raise
    with transaction.atomic():
        profile = CardProfile.objects.select_for_update().get(owner_id=user_id)
        profile.loss_before = before
        profile.loss_after = min(before, after)
        if after < before:
            profile.parameters = fitted
        profile.optimized_at = timezone.now()
        profile.optimized_reviews = count
        profile.optimization_status = "done"
        profile.save()
    return "done"
