"""Running the relay and the consumer as long-lived workers (the management commands)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from django.db import close_old_connections, connections

logger = logging.getLogger("cotask.events")


class ConnectionCheck:
    """`close_old_connections()` (what Django does around each request: honour CONN_MAX_AGE,
    and with CONN_HEALTH_CHECKS make the next query check the connection with a `SELECT 1`),
    but at most every `interval` seconds. Per event it was one more round trip; a connection
    that broke in between fails its query instead, and the callers handle that (the consumer
    retries the event, the relay its pass)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._last = float("-inf")

    def __call__(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            close_old_connections()
            self._last = now


@contextmanager
def stop_on_signals(stop_event: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set `stop_event` (finish the current message, then exit); a second signal
    exits at once. Previous handlers are restored afterwards."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop_event.is_set():
            raise SystemExit(128 + signum)
        logger.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stop_event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_workers(*, workers: dict[str, Callable[[], object]], stop_event: threading.Event) -> bool:
    """Run each worker in its own thread until all return; a worker that raises stops the
    others (so a supervisor restarts the whole process). True when none failed."""
    failed: list[str] = []

    def wrap(name: str, target: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException:
                logger.exception("event worker crashed", extra={"worker": name})
                failed.append(name)
                stop_event.set()
            finally:
                connections.close_all()  # this thread's connections only

        return run

    threads = [
        threading.Thread(target=wrap(name, target), name=f"cotask-{name}", daemon=True)
        for name, target in workers.items()
    ]
    for thread in threads:
        thread.start()
    # Short joins keep the main thread responsive to signals.
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=0.2)
    return not failed
