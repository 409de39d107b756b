"""What only the embedded log needs to show: several processes share one file safely, and one
consumer per group reads a topic at a time (Kafka gets both from the broker)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from cotask_common.events.bus import BusMessage
from cotask_common.events.bus.embedded import EmbeddedBus
from events.support import drain, unique_name


def _publish_from_another_process(path: str, topic: str, writer: int, count: int) -> None:
    bus = EmbeddedBus(path=path)
    for start in range(0, count, 5):  # batches, as the relay publishes
        bus.publish(
            [
                BusMessage(topic=topic, key=f"w{writer}", value=f"{writer}:{n}".encode())
                for n in range(start, start + 5)
            ]
        )
    bus.close()


def test_several_processes_append_to_one_log_without_loss(tmp_path: Path) -> None:
    path, topic = str(tmp_path / "events.sqlite3"), f"kit.{unique_name()}"
    EmbeddedBus(path=path).ensure_topics([topic])  # create the file before the race
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_publish_from_another_process, args=(path, topic, w, 100))
        for w in range(4)
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    bus = EmbeddedBus(path=path)
    with bus.consumer(group="g", topics=[topic]) as consumer:
        received = drain(consumer, count=400, timeout=10)
    assert len(received) == 400
    for w in range(4):
        assert [m.value for m in received if m.key == f"w{w}"] == [
            f"{w}:{n}".encode() for n in range(100)
        ]
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_one_consumer_per_group_reads_a_topic_and_a_dead_ones_lease_expires(
    tmp_path: Path,
) -> None:
    bus = EmbeddedBus(path=tmp_path / "events.sqlite3", lease_seconds=0.6)
    topic = f"kit.{unique_name()}"
    bus.publish([BusMessage(topic=topic, key="k", value=str(n).encode()) for n in range(3)])
    first = bus.consumer(group="g", topics=[topic])
    assert first.poll(1.0).value == b"0"  # first now holds the topic's lease
    second = bus.consumer(group="g", topics=[topic])
    assert second.poll(0.2) is None  # same group: it must not read the same messages
    # first "dies" without closing: once its lease expires, second takes over from the last
    # committed position (nothing was committed), so message 0 is redelivered.
    started = time.monotonic()
    received = drain(second, count=3, timeout=5)
    assert [m.value for m in received] == [b"0", b"1", b"2"]
    assert time.monotonic() - started >= 0.3
    second.close()
    first.close()


def test_prune_removes_old_messages_but_keeps_offsets_moving(tmp_path: Path) -> None:
    bus = EmbeddedBus(path=tmp_path / "events.sqlite3")
    topic = f"kit.{unique_name()}"
    bus.publish([BusMessage(topic=topic, key="k", value=b"old")])
    assert bus.prune(older_than=timedelta(seconds=-1)) == 1
    bus.publish([BusMessage(topic=topic, key="k", value=b"new")])
    with bus.consumer(group="g", topics=[topic]) as consumer:
        [received] = drain(consumer, count=1)
    assert received.value == b"new"
    assert received.offset == 2  # offsets are never reused
