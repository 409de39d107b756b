"""What posts and chat tell the mentors app about a person's activity.

A mentor counts as active (the mentor list's `active=true`) when they posted, answered a review
or sent a chat message in the last 30 days. Posts and chat sit below the mentors app in the layer
order (`.importlinter`), so they call this interface, and the mentors app registers its
implementation when Django starts (`social.mentors.apps.MentorsConfig.ready`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

_registered: Callable[[uuid.UUID], None] | None = None


def register(record: Callable[[uuid.UUID], None]) -> None:
    global _registered  # one process-wide implementation, set at startup
    _registered = record


def record_activity(*, user_id: uuid.UUID) -> None:
    """`user_id` did something that shows they are around (inside the writer's transaction)."""
    if _registered is not None:  # no mentors app installed: nobody keeps activity
        _registered(user_id)
