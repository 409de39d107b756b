"""Reads: a person's progress settings, their mutes, and the feed's filter of muted posts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from social.progress.models import KINDS, ProgressMute, ProgressSettings


def settings_of(*, user_id: uuid.UUID) -> dict[str, Any]:
    """Every kind with its state (off when never set) and the language posts are written in."""
    row = ProgressSettings.objects.filter(user_id=user_id).first()
    values: dict[str, Any] = {kind: bool(row and getattr(row, kind)) for kind in KINDS}
    values["language"] = row.language if row else "en"
    return values


def mutes(*, user_id: uuid.UUID) -> QuerySet[ProgressMute]:
    return ProgressMute.objects.filter(user_id=user_id).select_related("person").order_by("-id")


def muted_among(*, user_id: uuid.UUID, person_ids: Iterable[str]) -> set[str]:
    """Which of `person_ids` `user_id` muted the progress posts of (one query)."""
    return {
        str(person)
        for person in ProgressMute.objects.filter(
            user_id=user_id, person_id__in=list(person_ids)
        ).values_list("person_id", flat=True)
    }
