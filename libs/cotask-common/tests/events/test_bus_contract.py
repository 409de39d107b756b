"""The contract both bus backends honour (run once per backend, see conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from cotask_common.events.bus import BusMessage, BusUnavailable, EventBus
from events.support import drain, drain_until, unique_name


def message(topic: str, key: str, n: int, **headers: str) -> BusMessage:
    return BusMessage(topic=topic, key=key, value=f"{key}:{n}".encode(), headers=headers)


def is_sentinel(received: BusMessage) -> bool:
    return received.key == "sentinel"


def test_publish_and_consume_round_trip(bus: EventBus, group: str) -> None:
    topic = f"kit.{unique_name()}"
    bus.ensure_topics([topic])
    bus.publish(
        [BusMessage(topic=topic, key="k1", value=b'{"x": 1}', headers={"event-id": "e1", "h": "v"})]
    )
    with bus.consumer(group=group, topics=[topic]) as consumer:
        [received] = drain(consumer, count=1)
        consumer.commit(received)
    assert received.topic == topic
    assert received.key == "k1"
    assert received.value == b'{"x": 1}'
    assert received.headers["event-id"] == "e1"
    assert received.headers["h"] == "v"
    assert received.partition is not None
    assert received.offset is not None


def test_order_is_kept_per_key(bus: EventBus, group: str) -> None:
    topic = f"kit.{unique_name()}"
    bus.ensure_topics([topic])
    keys = [f"key-{i}" for i in range(5)]
    sent = [message(topic, keys[n % 5], n) for n in range(300)]
    # Several publish calls, as a relay sends batches.
    for start in range(0, len(sent), 70):
        bus.publish(sent[start : start + 70])
    with bus.consumer(group=group, topics=[topic]) as consumer:
        received = drain(consumer, count=len(sent))
    assert len(received) == len(sent)
    for key in keys:
        assert [m.value for m in received if m.key == key] == [
            m.value for m in sent if m.key == key
        ]


def test_separate_groups_each_receive_everything(bus: EventBus) -> None:
    topic = f"kit.{unique_name()}"
    bus.ensure_topics([topic])
    bus.publish([message(topic, "k", n) for n in range(3)])
    for group in (unique_name("g"), unique_name("g")):
        with bus.consumer(group=group, topics=[topic]) as consumer:
            assert [m.value for m in drain(consumer, count=3)] == [b"k:0", b"k:1", b"k:2"]


def test_a_restarted_consumer_resumes_after_its_last_commit(bus: EventBus, group: str) -> None:
    topic = f"kit.{unique_name()}"
    bus.ensure_topics([topic])
    bus.publish([message(topic, "k", n) for n in range(10)])
    with bus.consumer(group=group, topics=[topic]) as consumer:
        first = drain(consumer, count=4)
        for received in first:
            consumer.commit(received)
    bus.publish([message(topic, "k", n) for n in range(10, 12)])
    bus.publish([BusMessage(topic=topic, key="sentinel", value=b"end")])
    with bus.consumer(group=group, topics=[topic]) as consumer:
        rest = drain_until(consumer, stop=is_sentinel)
    assert [m.value for m in first] == [f"k:{n}".encode() for n in range(4)]
    # Nothing lost, nothing delivered twice.
    assert [m.value for m in rest[:-1]] == [f"k:{n}".encode() for n in range(4, 12)]


def test_uncommitted_messages_are_redelivered_to_the_next_consumer(
    bus: EventBus, group: str
) -> None:
    topic = f"kit.{unique_name()}"
    bus.ensure_topics([topic])
    bus.publish([message(topic, "k", n) for n in range(3)])
    with bus.consumer(group=group, topics=[topic]) as consumer:
        received = drain(consumer, count=3)
        consumer.commit(received[0])
        # "Crash": the other two were polled, never committed.
    with bus.consumer(group=group, topics=[topic]) as consumer:
        again = drain(consumer, count=2)
    assert [m.value for m in again] == [b"k:1", b"k:2"]


def test_a_consumer_reads_several_topics(bus: EventBus, group: str) -> None:
    topics = [f"kit.{unique_name()}", f"kit.{unique_name()}"]
    bus.ensure_topics(topics)
    bus.publish([message(topics[0], "a", 1), message(topics[1], "b", 1)])
    with bus.consumer(group=group, topics=topics) as consumer:
        received = drain(consumer, count=2)
    assert sorted(m.value for m in received) == [b"a:1", b"b:1"]


def test_ensure_topics_is_idempotent(bus: EventBus) -> None:
    topic = f"kit.{unique_name()}"
    bus.ensure_topics([topic, f"{topic}.dlq"])
    bus.ensure_topics([topic])
    bus.ping()


def test_unreachable_bus_fails_fast(make_bus: Callable[..., EventBus]) -> None:
    dead = make_bus(reachable=False)
    started = time.monotonic()
    with pytest.raises(BusUnavailable):
        dead.ping()
    assert time.monotonic() - started < 3.5
    started = time.monotonic()
    with pytest.raises(BusUnavailable):
        dead.publish([message(f"kit.{unique_name()}", "k", 1)])
    # Fails within a few seconds instead of hanging.
    assert time.monotonic() - started < 8
    with pytest.raises(BusUnavailable):
        dead.ensure_topics([f"kit.{unique_name()}"])


def test_order_per_key_holds_across_several_kafka_partitions(
    backend: str, make_bus: Callable[..., EventBus], group: str
) -> None:
    if backend != "kafka":
        pytest.skip("partitions are a Kafka notion (the embedded log is one sequence)")
    bus = make_bus(partitions=3)
    topic = f"kit.{unique_name()}"
    bus.ensure_topics([topic])
    keys = [f"key-{i}" for i in range(12)]
    sent = [message(topic, keys[n % 12], n) for n in range(240)]
    bus.publish(sent)
    with bus.consumer(group=group, topics=[topic]) as consumer:
        received = drain(consumer, count=len(sent))
        for last in {m.partition: m for m in received}.values():
            consumer.commit(last)
    assert len(received) == len(sent)
    assert len({m.partition for m in received}) > 1  # the keys really were spread
    for key in keys:
        assert [m.value for m in received if m.key == key] == [
            m.value for m in sent if m.key == key
        ]
        assert len({m.partition for m in received if m.key == key}) == 1


def test_stored_messages_count_only_once_committed_together(bus: EventBus, group: str) -> None:
    topics = [f"kit.{unique_name()}", f"kit.{unique_name()}"]
    bus.ensure_topics(topics)
    bus.publish([message(topic, "k", n) for topic in topics for n in range(3)])
    with bus.consumer(group=group, topics=topics) as consumer:
        for received in drain(consumer, count=6):
            consumer.store(received)
        # Stored, never committed: closing (or a crash) leaves all six to the next consumer.
    with bus.consumer(group=group, topics=topics) as consumer:
        again = drain(consumer, count=6)
        for received in again:
            consumer.store(received)
        consumer.commit_stored()  # both topics in one go
        consumer.commit_stored()  # nothing stored: nothing to do
    assert sorted(m.value for m in again) == sorted([f"k:{n}".encode() for n in range(3)] * 2)
    bus.publish([BusMessage(topic=topics[1], key="sentinel", value=b"end")])
    with bus.consumer(group=group, topics=topics) as consumer:
        assert [m.key for m in drain_until(consumer, stop=is_sentinel)] == ["sentinel"]


def test_a_topic_prefix_keeps_two_environments_apart_on_one_broker(
    backend: str, make_bus: Callable[..., EventBus], group: str
) -> None:
    if backend != "kafka":
        pytest.skip("the prefix namespaces a shared Kafka cluster")
    prefix = f"{unique_name('p')}."
    plain, prefixed = make_bus(), make_bus(topic_prefix=prefix)
    topic = f"kit.{unique_name()}"
    try:
        for bus in (plain, prefixed):
            bus.ensure_topics([topic])
        prefixed.publish([message(topic, "k", 1)])
        plain.publish([BusMessage(topic=topic, key="sentinel", value=b"end")])
        # The same group name in both: it is namespaced as well.
        with prefixed.consumer(group=group, topics=[topic]) as consumer:
            [received] = drain(consumer, count=1)
            consumer.commit(received)
        assert (received.topic, received.value) == (topic, b"k:1")  # services see plain names
        with plain.consumer(group=group, topics=[topic]) as consumer:
            assert [m.key for m in drain_until(consumer, stop=is_sentinel)] == ["sentinel"]
    finally:
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": plain.bootstrap_servers})
        for future in admin.delete_topics([f"{prefix}{topic}"], operation_timeout=5).values():
            future.result(timeout=10)
