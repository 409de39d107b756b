"""Publishing events: a row in the outbox, written in the caller's transaction.

The event becomes visible to the relay exactly when the business change commits, and vanishes
with it on rollback; a crash after commit loses nothing because the relay finds the row later.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from pydantic import TypeAdapter, ValidationError

from cotask_common.contracts.registry import InvalidEventData, UndeclaredEvent
from cotask_common.contracts.registry import registry as contracts
from cotask_common.events.envelope import (
    MAX_KEY_LENGTH,
    Event,
    EventValidationError,
    format_time,
    validate_event_type,
)
from cotask_common.ids import uuid7
from cotask_common.inserts import insert_statement

logger = logging.getLogger("cotask.events")

# Kafka's default message limit is 1 MB; events carry ids and small facts, never files.
MAX_EVENT_BYTES = 512 * 1024

# Set after a commit that wrote outbox rows; an in-process relay waits on it instead of sleeping.
# The relay usually runs in another process (`run_events`): on PostgreSQL a NOTIFY on
# `wakeup_channel()` (delivered at commit, dropped on rollback) reaches its listener, which sets
# this event there; polling remains the fallback.
relay_wakeup = threading.Event()


def wakeup_channel(using: str = DEFAULT_DB_ALIAS) -> str:
    """The PostgreSQL LISTEN/NOTIFY channel of this service's relay: services share the
    database, so it names service and schema (hashed: channel names are identifiers)."""
    schema = connections[using].settings_dict.get("COTASK_SCHEMA", "")
    name = f"{settings.COTASK_SERVICE}:{schema}".encode()
    return f"cotask_outbox_{hashlib.blake2b(name, digest_size=8).hexdigest()}"


class OutboxError(RuntimeError):
    """publish_event was used in a way that could lose or leak an event."""


def publish_event(
    *,
    type: str,
    key: Any,
    data: dict[str, Any],
    actor: Any = None,
    version: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> Event:
    """Write `type` to the outbox in the current transaction and return the event.

    Must run inside `transaction.atomic()` (the one that makes the change the event describes);
    `type` must belong to this service (`<COTASK_SERVICE>.<aggregate>.<verb>`) and be declared
    in `cotask_common.contracts.<service>`: `data` must match the declaration of `version`
    (default: the latest declared; an older, superseded version is refused). A mismatch raises
    `UndeclaredEvent` / `InvalidEventData` (both EventValidationError) naming the type and the
    field, in production too: an event consumers cannot rely on must not leave.
    """
    if not _in_transaction(using):
        raise OutboxError(
            f"publish_event({type!r}) must be called inside transaction.atomic() together with "
            "the change it announces; outside one the event could be published for a change "
            "that never committed, or lost"
        )
    service = settings.COTASK_SERVICE
    validate_event_type(type)
    if type.split(".", 1)[0] != service:
        raise EventValidationError(
            [f"type must start with this service's name {service!r}, got {type!r}"]
        )
    latest = contracts.latest(type)
    event = Event.new(
        type=type,
        key=key,
        data=data,
        producer=service,
        actor=actor,
        version=latest if version is None else version,
    )
    declaration = contracts.get(type, event.version)
    if event.version != latest:
        raise UndeclaredEvent(
            [
                f"{type} v{event.version} is not published any more: publish v{latest} "
                "(consumers still accept older versions for a while, producers do not send them)"
            ]
        )
    declaration.validate(event.data)
    size = len(event.to_json())
    if size > MAX_EVENT_BYTES:
        raise EventValidationError(
            [f"the event is {size} bytes; at most {MAX_EVENT_BYTES} (send ids, not contents)"]
        )

    values = {
        "id": event.id,
        "topic": event.topic,
        "key": event.key,
        "type": event.type,
        "payload": event.to_dict(),
    }
    transaction.on_commit(relay_wakeup.set, using=using)
    write_outbox_row(values, using=using)
    logger.debug(
        "event written to outbox",
        extra={"event_id": str(event.id), "event_type": event.type, "event_key": event.key},
    )
    return event


def publish_events(
    *,
    type: str,
    items: Sequence[tuple[Any, dict[str, Any]]],
    actor: Any = None,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = 2000,
) -> list[uuid.UUID]:
    """`publish_event` for many events of one `type` at once: `items` are (key, data) pairs.
    Returns the events' ids, in order.

    The same rules (inside the caller's transaction, declared, every `data` valid: one bad item
    refuses them all, naming its index; each event within `MAX_EVENT_BYTES`), but the envelope
    is checked once for the batch (type, producer, version, actor, one `occurred_at`: they
    happen in one transaction) and each item only for what differs (its key and data), with
    one validation call and, on PostgreSQL, one multi-row insert per `batch_size` events
    carrying the relay's wake-up. For passes that announce thousands of facts at once (the
    habits reminder pass), where an `Event` and a statement per event would be most of the
    pass's time.
    """
    if not _in_transaction(using):
        raise OutboxError(
            f"publish_events({type!r}) must be called inside transaction.atomic() together "
            "with the change it announces"
        )
    if not items:
        return []
    service = settings.COTASK_SERVICE
    validate_event_type(type)
    if type.split(".", 1)[0] != service:
        raise EventValidationError(
            [f"type must start with this service's name {service!r}, got {type!r}"]
        )
    version = contracts.latest(type)
    declaration = contracts.get(type, version)
    # The envelope's common part, checked once (Event's own checks: type, producer, actor).
    sample = Event.new(
        type=type,
        key=str(items[0][0]),
        data=items[0][1],
        producer=service,
        actor=actor,
        version=version,
    )
    keys = [str(key) for key, _data in items]
    bad_keys = [i for i, key in enumerate(keys) if not key or len(key) > MAX_KEY_LENGTH]
    if bad_keys:
        raise EventValidationError(
            [f"items[{i}]: key must be 1 to {MAX_KEY_LENGTH} characters" for i in bad_keys]
        )
    datas = [data for _key, data in items]
    # One validation call for the batch (JSON mode and strict, as `Declaration.validate`).
    try:
        _list_adapter(declaration.payload).validate_json(json.dumps(datas), strict=True)
    except (TypeError, ValueError) as exc:
        if not isinstance(exc, ValidationError):
            raise EventValidationError([f"data is not JSON-serializable: {exc}"]) from exc
        raise InvalidEventData(
            [
                f"{type} v{version}: items[{error['loc'][0]}].data."
                f"{'.'.join(str(p) for p in error['loc'][1:])}: {error['msg']}"
                for error in exc.errors(include_url=False)
            ]
        ) from None
    from cotask_common.events.models import OutboxEvent

    occurred_at = sample.occurred_at
    stamp = format_time(occurred_at)
    ids = [uuid7() for _ in items]
    envelope = {
        "type": type,
        "version": version,
        "occurred_at": stamp,
        "producer": service,
        "actor": sample.actor,
    }
    payloads = [
        {"id": str(i), **envelope, "key": key, "data": data}
        for i, key, data in zip(ids, keys, datas, strict=True)
    ]
    transaction.on_commit(relay_wakeup.set, using=using)
    connection = connections[using]
    if connection.vendor != "postgresql":
        for payload in payloads:
            if len(json.dumps(payload)) > MAX_EVENT_BYTES:
                raise EventValidationError([f"an event of {type} is over {MAX_EVENT_BYTES} bytes"])
        OutboxEvent.objects.using(using).bulk_create(
            [
                OutboxEvent(
                    id=i,
                    topic=sample.topic,
                    key=key,
                    type=type,
                    payload=payload,
                    created_at=occurred_at,
                )
                for i, key, payload in zip(ids, keys, payloads, strict=True)
            ],
            batch_size=batch_size,
        )
        return ids
    # The rows travel as one JSON document per chunk (one parameter, quoted once: far faster
    # than a parameter per value), and the relay's wake-up rides on the insert.
    table = connection.ops.quote_name(OutboxEvent._meta.db_table)
    sql = (
        f"WITH written AS (INSERT INTO {table} "  # noqa: S608 - the model's quoted name only
        "(id, topic, key, type, payload, created_at, attempts, last_error) "
        "SELECT (r->>'id')::uuid, %s, r->>'key', %s, r, %s, 0, '' "
        "FROM jsonb_array_elements(%s::jsonb) AS r RETURNING 1) "
        "SELECT pg_notify(%s, '') FROM (SELECT 1 FROM written LIMIT 1) AS any_written"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(payloads), batch_size):
            chunk = json.dumps(payloads[start : start + batch_size], ensure_ascii=False)
            if len(chunk) > MAX_EVENT_BYTES:  # only then can one event be too big
                for payload in payloads[start : start + batch_size]:
                    if len(json.dumps(payload, ensure_ascii=False)) > MAX_EVENT_BYTES:
                        raise EventValidationError(
                            [f"an event of {type} is over {MAX_EVENT_BYTES} bytes"]
                        )
            cursor.execute(sql, [sample.topic, type, occurred_at, chunk, wakeup_channel(using)])
    return ids


@functools.cache
def _list_adapter(payload: type) -> TypeAdapter[Any]:
    return TypeAdapter(list[payload])  # type: ignore[valid-type]


def write_outbox_row(values: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert the outbox row; on PostgreSQL with the relay's wake-up in the same statement
    (one round trip instead of two on every event; see bench/hot_sql.py). The NOTIFY is
    transactional: the relay's listener hears it when (and only if) this commits, and
    PostgreSQL folds one transaction's identical notifications into one."""
    from cotask_common.events.models import OutboxEvent

    connection = connections[using]
    if connection.vendor != "postgresql":
        OutboxEvent.objects.using(using).create(**values)
        return
    insert, params = insert_statement(OutboxEvent, values=values, using=using)
    # Only the model's own quoted names are interpolated; values are params.
    sql = f"WITH written AS ({insert} RETURNING 1) SELECT pg_notify(%s, '') FROM written"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, wakeup_channel(using)])


def write_outbox_row_orm(values: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """What `write_outbox_row` means: the ORM's insert, then the wake-up (a NOTIFY has no ORM
    spelling) as a statement of its own."""
    from cotask_common.events.models import OutboxEvent

    OutboxEvent.objects.using(using).create(**values)
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [wakeup_channel(using)])


def _in_transaction(using: str) -> bool:
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return False
    # Tests run inside an atomic block Django opens for the test case; that one does not count,
    # so a service that forgot its own transaction.atomic() fails in its tests too.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
