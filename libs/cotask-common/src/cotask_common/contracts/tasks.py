"""tasks-service's events.

tasks-service publishes only media references so far (reserved: it stores no file ids yet;
media-service already consumes them, see media's section).
"""

from __future__ import annotations

from cotask_common.contracts import references
from cotask_common.contracts.references import (
    ATTACHED_CONSUMERS,
    DETACHED_CONSUMERS,
    REFERENCE_KEY,
)
from cotask_common.contracts.registry import declare


@declare("tasks.media.attached", key=REFERENCE_KEY, consumers=ATTACHED_CONSUMERS)
class MediaAttached(references.MediaAttached):
    """Reserved: a task or a room's chat message uses these files."""


@declare("tasks.media.detached", key=REFERENCE_KEY, consumers=DETACHED_CONSUMERS)
class MediaDetached(references.MediaDetached):
    """Reserved: a task or a room's chat message no longer uses these files."""
