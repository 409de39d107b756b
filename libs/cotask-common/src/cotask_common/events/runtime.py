"""Running the relay and the consumer as long-lived workers (the management commands)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from django.db import connections

logger = logging.getLogger("cotask.events")


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
