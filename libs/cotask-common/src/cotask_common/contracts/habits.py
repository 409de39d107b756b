"""habits-service's events.

habits-service publishes only media references so far (reserved: it stores no file ids yet;
media-service already consumes them, see media's section).
"""

from __future__ import annotations

from cotask_common.contracts import references
from cotask_common.contracts.references import (
    ACCESS_GRANTED_CONSUMERS,
    ACCESS_KEY,
    ACCESS_REVOKED_CONSUMERS,
    ATTACHED_CONSUMERS,
    DETACHED_CONSUMERS,
    REFERENCE_KEY,
)
from cotask_common.contracts.registry import declare


@declare("habits.media.attached", key=REFERENCE_KEY, consumers=ATTACHED_CONSUMERS)
class MediaAttached(references.MediaAttached):
    """Reserved: a habit or a card uses these files."""


@declare("habits.media.detached", key=REFERENCE_KEY, consumers=DETACHED_CONSUMERS)
class MediaDetached(references.MediaDetached):
    """Reserved: a habit or a card no longer uses these files."""


@declare("habits.media.access_granted", key=ACCESS_KEY, consumers=ACCESS_GRANTED_CONSUMERS)
class MediaAccessGranted(references.AccessGranted):
    """Reserved: the readers of a shared deck (`deck:<id>`) may read the audience's private
    files (none is published yet)."""


@declare("habits.media.access_revoked", key=ACCESS_KEY, consumers=ACCESS_REVOKED_CONSUMERS)
class MediaAccessRevoked(references.AccessRevoked):
    """Reserved: the readers of a shared deck (`deck:<id>`) may no longer read the
    audience's private files."""
