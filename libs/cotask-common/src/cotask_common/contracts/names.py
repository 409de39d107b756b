"""What an event type's name looks like, and the error of an event that breaks its contract.
Here rather than in `cotask_common.events` because the declarations (this package) sit below
the bus that checks them: `events` imports `contracts`, never the other way round."""

from __future__ import annotations

import re

__all__ = ["TYPE_PATTERN", "EventValidationError"]

# `<service>.<aggregate>.<verb>`: lowercase identifiers, so the topic name is always legal in Kafka.
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


class EventValidationError(ValueError):
    """An envelope that breaks the contract; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid event: " + "; ".join(problems))
