"""Exactly-once tests of the services' claim-and-publish passes on the real PostgreSQL (the
reminder passes of tasks and habits): two passes overlapping while each holds the rows it
claimed, and one of them killed mid-pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection, connections

from cotask_common.events.models import OutboxEvent


class InThread(threading.Thread):
    """Runs `work` on its own database connection, keeping its result or the error it raised."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.result: Any = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.result = self.work()
        except Exception as exc:  # the crash under test
            self.error = exc
        finally:
            close_old_connections()
            connections.close_all()


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def sessions_waiting_for_a_table() -> list[int]:
    """The sessions waiting for a lock, each asserted to wait for a table (a pass waiting for
    another's *rows* would wait on a tuple or a transaction instead)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid, wait_event FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        found = cursor.fetchall()
    assert all(event == "relation" for _pid, event in found), found
    return [pid for pid, _event in found]


def overlap_then_kill_the_first(pass_: Callable[[], Any]) -> tuple[InThread, InThread]:
    """Start two runs of `pass_` while a third session holds the outbox, so each blocks right
    before it publishes, holding the rows it claimed; then kill the first one's session.
    Returns both threads, the first dead and the second finished."""
    blocker = connections.create_connection("default")
    blocker.set_autocommit(False)
    first, second = InThread(pass_), InThread(pass_)
    try:
        with blocker.cursor() as cursor:
            table = connection.ops.quote_name(OutboxEvent._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        first.start()
        wait_until(lambda: len(sessions_waiting_for_a_table()) == 1)
        [first_pid] = sessions_waiting_for_a_table()
        second.start()
        wait_until(lambda: len(sessions_waiting_for_a_table()) == 2)
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first_pid])
        first.join(15)
        assert first.error is not None and first.result is None
    finally:
        blocker.rollback()
        blocker.close()
    second.join(30)
    assert second.error is None, second.error
    assert second.result is not None
    return first, second
