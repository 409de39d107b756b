"""Fixtures of the analytics tests: the permission cast of the planning tests, a clock the
test moves (services, history rows and event envelopes all read it), and delivery of the
outbox's events to the handlers through the consumer's own idempotent path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tasks.planning.tests.conftest import cast, join, make_room, warm  # noqa: F401


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """A moving clock: `django.utils.timezone.now` (services, `auto_now` fields) and the
    envelope's `occurred_at` read it, so a change's rows and events carry the same moment."""
    from django.utils import timezone

    from cotask_common.events import envelope

    state = Clock(datetime(2025, 3, 1, 8, 0, tzinfo=UTC))

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            n = state.now if tz is None else state.now.astimezone(tz)
            # An instance of this class: the envelope checks `isinstance(…, datetime)`.
            return cls(n.year, n.month, n.day, n.hour, n.minute, n.second, n.microsecond, n.tzinfo)

    monkeypatch.setattr(timezone, "now", lambda: state.now)
    monkeypatch.setattr(envelope, "datetime", FrozenDatetime)
    yield state


@pytest.fixture
def deliver() -> Callable[..., int]:
    """`deliver(twice=False, batched=False)`: hand every event in the outbox to the handlers and
    empty the outbox. By default through the consumer's `handle_event` (one transaction per
    event); `twice` then delivers each a second time, which must change nothing. `batched`
    claims and handles them the same way (ProcessedEvent row, then the handlers) in one
    transaction for all: the long history test would otherwise spend its time on commits.
    Returns how many ran."""
    from django.db import transaction

    from cotask_common.events.consumer import _claim, autodiscover_handlers, handle_event
    from cotask_common.events.consumer import registry as handlers
    from cotask_common.events.envelope import Event
    from cotask_common.events.models import OutboxEvent

    def run(*, twice: bool = False, batched: bool = False) -> int:
        autodiscover_handlers()
        rows = list(OutboxEvent.objects.order_by("created_at", "id").values_list("id", "payload"))
        events = [Event.from_dict(payload) for _id, payload in rows]
        handled = 0
        if batched:
            with transaction.atomic():
                for event in events:
                    if handlers.handlers_for(event.type) and _claim(event, using="default"):
                        for handler in handlers.handlers_for(event.type):
                            handler(event)
                        handled += 1
        else:
            for event in events:
                handled += handle_event(event)
                if twice:
                    assert handle_event(event) is False
        OutboxEvent.objects.filter(id__in=[row_id for row_id, _ in rows]).delete()
        return handled

    return run
