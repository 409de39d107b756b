import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cotask_common.events.bus import get_bus
from cotask_common.events.consumer import consume
from cotask_common.events.runtime import stop_on_signals


class Command(BaseCommand):
    help = "Consume events for this service's handlers until SIGTERM/SIGINT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--group", help="consumer group (default: the service name)")
        parser.add_argument(
            "--topic",
            action="append",
            dest="topics",
            help="topic to consume (repeatable; default: the topics of all registered handlers)",
        )
        parser.add_argument("--max-messages", type=int, help="exit after this many messages")
        parser.add_argument("--max-attempts", type=int, help="default: EVENT_MAX_ATTEMPTS")

    def handle(self, *args: Any, **options: Any) -> None:
        stop_event = threading.Event()
        with stop_on_signals(stop_event):
            stats = consume(
                bus=get_bus(),
                group=options["group"],
                topics=options["topics"],
                stop_event=stop_event,
                max_messages=options["max_messages"],
                max_attempts=options["max_attempts"],
            )
        self.stdout.write(
            f"handled {stats.handled}, duplicates {stats.duplicates}, "
            f"skipped {stats.skipped}, dead-lettered {stats.dead_lettered}"
        )
