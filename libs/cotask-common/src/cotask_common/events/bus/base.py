"""The one interface both bus backends (Kafka, the embedded SQLite log) implement.

Semantics every backend guarantees (the contract suite in tests/events checks them):
- `publish` returns only once the bus has durably accepted every message, else raises
  `BusUnavailable`; at-least-once (a retried publish may duplicate, never lose).
- Messages with the same topic and key are delivered in the order they were published.
- A consumer of a group starts after the group's last committed message of each topic (from the
  beginning when nothing was committed); what it polled but did not commit is redelivered to the
  next consumer of the group.
- `store` only notes a message as done; `commit_stored` commits every noted message at once (one
  request), so a runner can commit every so often instead of once per message. Stored but
  uncommitted messages count as not committed (redelivered after a crash).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self


class BusError(Exception):
    """Any failure of the event bus."""


class BusUnavailable(BusError):
    """The bus is unreachable or did not accept the messages in time; try again later."""


@dataclass(frozen=True, kw_only=True)
class BusMessage:
    topic: str
    key: str | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # Set on consumed messages: where the message sits in the log (for commits and DLQ headers).
    partition: int | None = None
    offset: int | None = None


class BusConsumer(ABC):
    @abstractmethod
    def poll(self, timeout: float) -> BusMessage | None:
        """The next message, or None when none arrived within `timeout` seconds."""

    @abstractmethod
    def commit(self, message: BusMessage) -> None:
        """Synchronously mark `message` (and everything before it in its partition) as done."""

    @abstractmethod
    def close(self) -> None:
        """Leave the group without committing anything further (stored messages included)."""

    def store(self, message: BusMessage) -> None:
        """Note `message` (and everything before it in its partition) as done, for the next
        `commit_stored()`; nothing is sent to the bus yet."""
        if message.offset is None:
            raise ValueError("only a consumed message (with an offset) can be stored")
        stored: dict[tuple[str, int | None], BusMessage] = self.__dict__.setdefault(
            "_stored_messages", {}
        )
        # Per partition the latest one covers the earlier ones (messages are stored in order).
        stored[(message.topic, message.partition)] = message

    def commit_stored(self) -> None:
        """Synchronously commit what `store` noted; nothing when nothing was. Backends override
        this to send one request for all partitions."""
        for message in self._take_stored():
            self.commit(message)

    def _take_stored(self) -> list[BusMessage]:
        stored = self.__dict__.pop("_stored_messages", None) or {}
        return list(stored.values())

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus(ABC):
    name: str = "bus"

    @abstractmethod
    def publish(self, messages: Sequence[BusMessage]) -> None:
        """Publish in order; return only when all are durably accepted (else `BusUnavailable`)."""

    @abstractmethod
    def consumer(self, *, group: str, topics: Sequence[str]) -> BusConsumer:
        """A consumer in `group` subscribed to `topics`."""

    @abstractmethod
    def ensure_topics(self, topics: Sequence[str]) -> None:
        """Create the topics that do not exist yet (cheap for topics already ensured)."""

    @abstractmethod
    def ping(self) -> None:
        """Raise `BusUnavailable` within about two seconds when the bus is unreachable."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the bus must not be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
