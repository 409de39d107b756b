"""The Kafka event bus (confluent-kafka / librdkafka), used in production.

Producer: idempotent with acks=all, so retries inside librdkafka neither duplicate nor reorder
messages of a partition; the key picks the partition (murmur2, as Java clients do), which is what
keeps per-key order. Timeouts are short on purpose: when the broker is gone `publish` fails in a
few seconds and the outbox keeps the events, instead of a relay hanging on a dead socket.
`linger.ms` only gathers a relay batch into one request: `publish` ends with `flush()`, which
sends at once whatever is queued (so a lone event waits for no linger).
Consumer: no auto-commit; the runner stores an offset after the handler's database transaction
committed and commits the stored offsets synchronously, in one request, every so often (and
before a rebalance takes partitions away).
`topic_prefix` (KAFKA_TOPIC_PREFIX) namespaces every topic and consumer group on the broker, so
several environments (a benchmark next to the test suite, staging next to QA) can share one
cluster; services only ever see the names without it.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from cotask_common.events.bus.base import (
    BusConsumer,
    BusError,
    BusMessage,
    BusUnavailable,
    EventBus,
)

logger = logging.getLogger("cotask.events")
# librdkafka's own log lines (connection failures and the like) go through Python logging.
librdkafka_logger = logging.getLogger("kafka")

PING_TIMEOUT = 2.0
# Consumer errors that only mean "nothing to read yet" (e.g. a topic still being created).
_QUIET_ERRORS = {KafkaError._PARTITION_EOF, KafkaError.UNKNOWN_TOPIC_OR_PART}


class KafkaBus(EventBus):
    name = "kafka"

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        client_id: str = "cotask",
        partitions: int = 1,
        replication_factor: int = -1,
        timeout: float = 5.0,
        session_timeout: float = 10.0,
        topic_prefix: str = "",
        config: dict[str, Any] | None = None,
    ) -> None:
        if not bootstrap_servers:
            raise ValueError("the Kafka bus needs bootstrap servers (KAFKA_BOOTSTRAP_SERVERS)")
        self.bootstrap_servers = bootstrap_servers
        self.partitions = partitions
        # -1: the broker's default.replication.factor (1 on the local node, 3 in production).
        self.replication_factor = replication_factor
        self.timeout = timeout
        self.session_timeout = session_timeout
        self.topic_prefix = topic_prefix
        timeout_ms = int(timeout * 1000)
        self._common: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "client.id": client_id,
            "socket.connection.setup.timeout.ms": max(timeout_ms, 1000),
            "reconnect.backoff.ms": 100,
            "reconnect.backoff.max.ms": 2000,
            "logger": librdkafka_logger,
            **(config or {}),
        }
        self._lock = threading.Lock()
        self._producer: Producer | None = None
        self._admin: AdminClient | None = None
        self._known_topics: set[str] = set()

    def __repr__(self) -> str:
        return f"KafkaBus(bootstrap_servers={self.bootstrap_servers!r})"

    def _physical(self, topic: str) -> str:
        return f"{self.topic_prefix}{topic}"

    # -- producing -----------------------------------------------------------------------------

    def _get_producer(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(
                {
                    **self._common,
                    "enable.idempotence": True,
                    "acks": "all",
                    "partitioner": "murmur2_random",
                    "linger.ms": 5,
                    "message.timeout.ms": int(self.timeout * 1000),
                    "request.timeout.ms": int(self.timeout * 1000),
                }
            )
        return self._producer

    def publish(self, messages: Sequence[BusMessage]) -> None:
        if not messages:
            return
        failures: list[KafkaError] = []

        def on_delivery(err: KafkaError | None, _msg: Any) -> None:
            if err is not None:
                failures.append(err)

        with self._lock:
            producer = self._get_producer()
            try:
                for message in messages:
                    self._produce(producer, message, on_delivery)
                # flush() serves the delivery reports; every message is acknowledged by all
                # in-sync replicas or has failed once message.timeout.ms has passed.
                pending = producer.flush(self.timeout + 2)
            except KafkaException as exc:
                self._drop_producer_if_fatal(exc.args[0])
                raise BusUnavailable(f"Kafka did not accept the messages: {exc}") from exc
            if pending:
                raise BusUnavailable(
                    f"Kafka at {self.bootstrap_servers} did not acknowledge {pending} of "
                    f"{len(messages)} message(s) within {self.timeout + 2:.0f}s"
                )
            if failures:
                for error in failures:
                    self._drop_producer_if_fatal(error)
                raise BusUnavailable(
                    f"Kafka at {self.bootstrap_servers} rejected {len(failures)} of "
                    f"{len(messages)} message(s): {failures[0].str()}"
                )

    def _produce(self, producer: Producer, message: BusMessage, on_delivery: Any) -> None:
        for _ in range(100):
            try:
                producer.produce(
                    self._physical(message.topic),
                    value=message.value,
                    key=message.key.encode("utf-8") if message.key is not None else None,
                    headers=[
                        (name, value.encode("utf-8")) for name, value in message.headers.items()
                    ],
                    on_delivery=on_delivery,
                )
                return
            except BufferError:
                # The local queue is full: let librdkafka send some before adding more.
                producer.poll(0.1)
        raise BusUnavailable("the Kafka producer queue stayed full")

    def _drop_producer_if_fatal(self, error: KafkaError) -> None:
        # A fatal error (e.g. the idempotent producer's sequence broke) kills the instance for
        # good; the next publish starts a fresh one.
        if isinstance(error, KafkaError) and error.fatal():
            logger.error(
                "Kafka producer hit a fatal error; recreating it", extra={"error": str(error)}
            )
            self._producer = None

    # -- topics and health ---------------------------------------------------------------------

    def _get_admin(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient(self._common)
        return self._admin

    def ensure_topics(self, topics: Sequence[str]) -> None:
        missing = sorted(set(topics) - self._known_topics)
        if not missing:
            return
        with self._lock:
            admin = self._get_admin()
            try:
                existing = set(admin.list_topics(timeout=self.timeout).topics)
            except KafkaException as exc:
                raise BusUnavailable(
                    f"Kafka at {self.bootstrap_servers} is unreachable: {exc}"
                ) from exc
            finally:
                admin.poll(0)
            to_create = [
                self._physical(topic) for topic in missing if self._physical(topic) not in existing
            ]
            if to_create:
                self._create_topics(admin, to_create)
        self._known_topics.update(missing)

    def _create_topics(self, admin: AdminClient, topics: list[str]) -> None:
        futures = admin.create_topics(
            [
                NewTopic(
                    topic,
                    num_partitions=self.partitions,
                    replication_factor=self.replication_factor,
                )
                for topic in topics
            ],
            operation_timeout=self.timeout,
            request_timeout=self.timeout,
        )
        for topic, future in futures.items():
            try:
                future.result(timeout=self.timeout + 2)
            except concurrent.futures.TimeoutError as exc:
                raise BusUnavailable(f"creating Kafka topic {topic!r} timed out") from exc
            except KafkaException as exc:
                error = exc.args[0]
                if error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue  # another process created it first
                if error.retriable() or error.code() in (
                    KafkaError._TRANSPORT,
                    KafkaError._TIMED_OUT,
                ):
                    raise BusUnavailable(f"creating Kafka topic {topic!r}: {error.str()}") from exc
                raise BusError(f"creating Kafka topic {topic!r}: {error.str()}") from exc
            else:
                logger.info(
                    "Kafka topic created", extra={"topic": topic, "partitions": self.partitions}
                )
        admin.poll(0)

    def ping(self) -> None:
        admin = self._get_admin()
        try:
            # A metadata request to a live broker; never answered from a cache.
            admin.list_topics(timeout=PING_TIMEOUT)
        except KafkaException as exc:
            raise BusUnavailable(
                f"Kafka at {self.bootstrap_servers} is unreachable: {exc}"
            ) from exc
        finally:
            admin.poll(0)

    # -- consuming -----------------------------------------------------------------------------

    def consumer(self, *, group: str, topics: Sequence[str]) -> KafkaConsumer:
        config = {
            **self._common,
            "group.id": f"{self.topic_prefix}{group}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            # A crashed consumer's partitions move to another member within this time.
            "session.timeout.ms": int(self.session_timeout * 1000),
            "heartbeat.interval.ms": max(int(self.session_timeout * 1000) // 5, 500),
            # New topics (e.g. a producer's first event) are noticed quickly.
            "topic.metadata.refresh.interval.ms": 10_000,
        }
        return KafkaConsumer(config=config, topics=topics, topic_prefix=self.topic_prefix)

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.flush(self.timeout)
                self._producer = None
            self._admin = None


class KafkaConsumer(BusConsumer):
    def __init__(
        self, *, config: dict[str, Any], topics: Sequence[str], topic_prefix: str = ""
    ) -> None:
        if not topics:
            raise ValueError("a consumer needs at least one topic")
        self._group = config["group.id"]
        self._prefix = topic_prefix
        self._consumer = Consumer(config)
        self._consumer.subscribe(
            sorted({f"{topic_prefix}{topic}" for topic in topics}), on_revoke=self._on_revoke
        )
        self._closed = False

    def _on_revoke(self, _consumer: Consumer, _partitions: list[TopicPartition]) -> None:
        # Called inside poll() before a rebalance hands partitions to another member: commit
        # what is done, so the new owner does not receive it again (it would skip it as a
        # duplicate anyway, so a failure here is only logged). close() revokes too, but it
        # commits nothing (the contract).
        if self._closed:
            return
        try:
            self.commit_stored()
        except BusError as exc:
            logger.warning(
                "could not commit stored offsets before a rebalance",
                extra={"group": self._group, "error": str(exc)},
            )

    def _offset(self, message: BusMessage) -> TopicPartition:
        if message.partition is None or message.offset is None:
            raise ValueError("only a consumed message (with partition and offset) can be committed")
        topic = f"{self._prefix}{message.topic}"
        # Kafka's committed offset is the next one to read.
        return TopicPartition(topic, message.partition, message.offset + 1)

    def poll(self, timeout: float) -> BusMessage | None:
        try:
            message = self._consumer.poll(timeout)
        except KafkaException as exc:
            raise BusUnavailable(f"Kafka poll failed: {exc}") from exc
        if message is None:
            return None
        error = message.error()
        if error is not None:
            if error.fatal():
                raise BusError(f"Kafka consumer failed: {error.str()}")
            if error.code() not in _QUIET_ERRORS:
                logger.warning(
                    "Kafka consumer error", extra={"group": self._group, "error": error.str()}
                )
            return None
        key = message.key()
        topic = message.topic()
        return BusMessage(
            topic=topic[len(self._prefix) :] if topic.startswith(self._prefix) else topic,
            key=key.decode("utf-8", "replace") if key is not None else None,
            value=message.value() or b"",
            headers={
                name: (value.decode("utf-8", "replace") if value is not None else "")
                for name, value in (message.headers() or [])
            },
            partition=message.partition(),
            offset=message.offset(),
        )

    def commit(self, message: BusMessage) -> None:
        self._commit([self._offset(message)])

    def commit_stored(self) -> None:
        stored = self._take_stored()
        if stored:
            self._commit([self._offset(message) for message in stored])

    def _commit(self, offsets: list[TopicPartition]) -> None:
        try:
            committed = self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            raise BusUnavailable(f"Kafka offset commit failed: {exc}") from exc
        failed = [tp for tp in committed or [] if tp.error is not None]
        if failed:
            raise BusUnavailable(
                f"Kafka offset commit failed for {failed[0].topic}[{failed[0].partition}]: "
                f"{failed[0].error.str()}"
            )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._consumer.close()
        except (KafkaException, RuntimeError) as exc:
            logger.warning("Kafka consumer close failed", extra={"error": str(exc)})
