import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cotask_common.events.bus import get_bus
from cotask_common.events.consumer import consume
from cotask_common.events.relay import run_relay
from cotask_common.events.runtime import run_workers, stop_on_signals


class Command(BaseCommand):
    help = (
        "Run the outbox relay and the event consumer of this service in one process "
        "(two threads) until SIGTERM/SIGINT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--poll-interval", type=float, default=0.5)
        parser.add_argument("--group", help="consumer group (default: the service name)")

    def handle(self, *args: Any, **options: Any) -> None:
        bus = get_bus()
        stop_event = threading.Event()
        workers = {
            "relay": lambda: run_relay(
                bus=bus,
                stop_event=stop_event,
                poll_interval=options["poll_interval"],
                batch_size=options["batch_size"],
            ),
            # Returns at once when this service handles no events; the relay keeps running.
            "consumer": lambda: consume(bus=bus, group=options["group"], stop_event=stop_event),
        }
        with stop_on_signals(stop_event):
            ok = run_workers(workers=workers, stop_event=stop_event)
        if not ok:
            raise CommandError("an event worker crashed; see the log")
