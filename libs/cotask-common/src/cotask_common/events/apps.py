from typing import Any

from django.apps import AppConfig

BUS_SETTINGS = {
    "COTASK_EVENT_BUS",
    "COTASK_KAFKA_BOOTSTRAP_SERVERS",
    "COTASK_EVENT_LOG_PATH",
    "COTASK_KAFKA_TOPIC_PARTITIONS",
    "COTASK_KAFKA_REPLICATION_FACTOR",
    "COTASK_KAFKA_TOPIC_PREFIX",
}


class EventsConfig(AppConfig):
    name = "cotask_common.events"
    label = "cotask_events"
    verbose_name = "CoTask events (outbox, processed events)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        setting_changed.connect(_reset_bus_on_change, dispatch_uid="cotask-events-reset-bus")
        # Every service's event declarations, at start-up: a broken one fails here, not at the
        # first publish.
        from cotask_common.contracts import registry

        registry.load()


def _reset_bus_on_change(*, setting: str, **_: Any) -> None:
    # override_settings(COTASK_EVENT_BUS=...) in a test must not keep using the old bus.
    if setting in BUS_SETTINGS:
        from cotask_common.events.bus import reset_bus

        reset_bus()
