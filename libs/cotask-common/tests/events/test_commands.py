"""The management commands each service runs: relay_outbox, consume_events, run_events."""

from __future__ import annotations

import io
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from cotask_common.events.bus import EventBus, get_bus, reset_bus
from cotask_common.events.consumer import HandlerRegistry, event_handler
from cotask_common.events.envelope import Event
from cotask_common.events.models import OutboxEvent
from cotask_common.events.outbox import publish_event
from cotask_common.events.testing import make_event
from events.conftest import KAFKA_SERVERS
from events.support import send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def configured_bus(backend: str, tmp_path: Path, settings: Any) -> Iterator[EventBus]:
    """The settings point at the backend under test; get_bus() follows them."""
    settings.COTASK_EVENT_BUS = backend
    settings.COTASK_KAFKA_BOOTSTRAP_SERVERS = KAFKA_SERVERS
    settings.COTASK_EVENT_LOG_PATH = str(tmp_path / "events.sqlite3")
    yield get_bus()
    reset_bus()


def test_relay_outbox_once_publishes_the_backlog(configured_bus: EventBus, aggregate: str) -> None:
    for n in range(3):
        with transaction.atomic():
            publish_event(type=f"kit.{aggregate}.created", key="k", data={"n": n})
    out = io.StringIO()
    call_command("relay_outbox", "--once", "--batch-size", "2", stdout=out)
    assert out.getvalue().strip() == "published 3 event(s)"
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_consume_events_handles_and_exits_after_max_messages(
    configured_bus: EventBus, handlers: HandlerRegistry, aggregate: str, group: str
) -> None:
    calls: list[Event] = []
    event_handler(f"kit.{aggregate}.created")(calls.append)
    event = make_event(type=f"kit.{aggregate}.created", key="k", data={})
    send(configured_bus, event)
    out = io.StringIO()
    call_command("consume_events", "--group", group, "--max-messages", "1", stdout=out)
    assert calls == [event]
    assert "handled 1" in out.getvalue()


def test_run_events_relays_and_consumes_until_sigterm(
    configured_bus: EventBus, handlers: HandlerRegistry, aggregate: str, group: str
) -> None:
    handled = threading.Event()
    calls: list[Event] = []

    @event_handler(f"kit.{aggregate}.created")
    def on_created(event: Event) -> None:
        calls.append(event)
        handled.set()

    with transaction.atomic():
        event = publish_event(type=f"kit.{aggregate}.created", key="k", data={})

    def terminate_when_handled() -> None:
        handled.wait(45)
        os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=terminate_when_handled, daemon=True).start()
    # Returns only if SIGTERM stopped both threads cleanly (a crash raises CommandError).
    call_command("run_events", "--poll-interval", "0.1", "--group", group)
    assert calls == [event]  # relayed by one thread, handled by the other
    assert OutboxEvent.objects.get().published_at is not None
    assert signal.getsignal(signal.SIGTERM) is previous
