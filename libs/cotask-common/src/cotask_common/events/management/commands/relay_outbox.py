import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cotask_common.events.bus import BusError, get_bus
from cotask_common.events.relay import relay_once, run_relay
from cotask_common.events.runtime import stop_on_signals


class Command(BaseCommand):
    help = "Publish committed outbox events to the event bus until SIGTERM/SIGINT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument(
            "--poll-interval", type=float, default=0.5, help="seconds between idle passes"
        )
        parser.add_argument(
            "--once", action="store_true", help="publish the whole backlog, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bus = get_bus()
        if options["once"]:
            total = 0
            try:
                while sent := relay_once(bus=bus, batch_size=options["batch_size"]):
                    total += sent
            except BusError as exc:
                raise CommandError(f"event bus unavailable after {total} event(s): {exc}") from exc
            self.stdout.write(f"published {total} event(s)")
            return
        stop_event = threading.Event()
        with stop_on_signals(stop_event):
            run_relay(
                bus=bus,
                stop_event=stop_event,
                poll_interval=options["poll_interval"],
                batch_size=options["batch_size"],
            )
