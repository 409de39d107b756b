"""notifications-service's events.

notifications-service publishes only media references so far (reserved: it stores no file ids yet;
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


@declare("notifications.media.attached", key=REFERENCE_KEY, consumers=ATTACHED_CONSUMERS)
class MediaAttached(references.MediaAttached):
    """Reserved: a notifications object uses these files."""


@declare("notifications.media.detached", key=REFERENCE_KEY, consumers=DETACHED_CONSUMERS)
class MediaDetached(references.MediaDetached):
    """Reserved: a notifications object no longer uses these files."""
