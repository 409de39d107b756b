"""Client processes for the notifications benchmarks (bench/notifications_ws.py,
bench/notifications_e2e_latency.py): websocket listeners and an HTTP load driver, each in a
process of its own.

Why processes: a frame's arrival time is read by the listener's event loop; in the process that
also produces the load (Django's ORM handling events, or dozens of HTTP threads) that loop waits
for the GIL, and the figure grows with the benchmark's own work. All times are `time.time()`
(the wall clock every process on the machine shares), so they compare with each other and with
the notification's `updated_at`, which the server stamps.

Run as a script it only prints this text: `make bench` runs every file in bench/.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import time
from collections.abc import Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def summary(values: Sequence[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"p50 {percentile(values, 50):7.1f} ms  p90 {percentile(values, 90):7.1f} ms  "
        f"p99 {percentile(values, 99):7.1f} ms  max {max(values):7.1f} ms"
    )


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (all cores), from /proc/stat:
    the difference over a run says how saturated the machine was (by anyone)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def busy_share(before: tuple[float, float], after: tuple[float, float]) -> str:
    busy, total = after[0] - before[0], after[1] - before[1]
    cores = os.cpu_count() or 1
    return f"machine {busy / max(total, 1e-9) * 100:.0f}% busy ({cores} cores)"


def parse_time(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


# ---------------------------------------------------------------------------------------------
# Websocket listener


async def _open(urls: Sequence[str], concurrency: int) -> tuple[list[Any], int]:
    import websockets

    sockets: list[Any] = []
    failures = 0
    semaphore = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        nonlocal failures
        async with semaphore:
            try:
                ws = await websockets.connect(
                    url, open_timeout=60, ping_interval=None, max_queue=None
                )
                hello = json.loads(await ws.recv())
                assert hello["type"] == "hello", hello
            except Exception:  # counted and reported: a refused or dropped handshake
                failures += 1
                return
            sockets.append(ws)

    await asyncio.gather(*(one(url) for url in urls))
    return sockets, failures


async def _listen(
    conn: Connection, urls: Sequence[str], concurrency: int, frame_type: str = "notification"
) -> None:
    sockets, failures = await _open(urls, concurrency)
    frames: list[tuple[float, dict[str, Any]]] = []
    closed = 0

    async def reader(ws: Any) -> None:
        nonlocal closed
        with contextlib.suppress(Exception):  # the server closed it: counted below
            async for raw in ws:
                at = time.time()
                message = json.loads(raw)
                if message.get("type") == frame_type:
                    # A notification frame: the notification; any other kind: the whole frame.
                    frames.append((at, message.get("notification", message)))
        closed += 1

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    conn.send({"ready": len(sockets), "failed": failures})
    loop = asyncio.get_running_loop()
    # Wait for "stop" (sent when every expected frame is counted, or at the deadline).
    expected, deadline = await loop.run_in_executor(None, conn.recv)
    cpu = time.process_time()
    while len(frames) < expected and time.time() < deadline:
        await asyncio.sleep(0.05)
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    conn.send({"frames": frames, "closed_early": closed, "cpu": time.process_time() - cpu})


def listener(
    conn: Connection, urls: list[str], concurrency: int = 100, frame_type: str = "notification"
) -> None:
    """Child process: open one socket per URL, send {"ready", "failed"}; then on receiving
    (expected frames, deadline) collect `frame_type` frames until that many arrived or the
    deadline passed, and send {"frames": [(arrival time, notification or frame)],
    "closed_early", "cpu": seconds used meanwhile}."""
    asyncio.run(_listen(conn, urls, concurrency, frame_type))


async def _hold(conn: Connection, urls: Sequence[str], concurrency: int) -> None:
    started = time.time()
    sockets, failures = await _open(urls, concurrency)
    conn.send({"opened": len(sockets), "failed": failures, "seconds": time.time() - started})
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # "close"
    dropped = sum(1 for ws in sockets if ws.close_code is not None)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    conn.send({"dropped": dropped})


def idle_holder(conn: Connection, urls: list[str], concurrency: int = 200) -> None:
    """Child process: open one socket per URL and hold them; send {"opened", "failed",
    "seconds"}; on any message, send {"dropped": sockets the server closed meanwhile}, close."""
    asyncio.run(_hold(conn, urls, concurrency))


# ---------------------------------------------------------------------------------------------
# HTTP load driver


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 response: (status, body, keep-alive). Content-Length or chunked bodies."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readline()).split(b";")[0], 16):
            body += await reader.readexactly(size)
            await reader.readline()
        await reader.readline()
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() != "close"


async def _drive(
    base_url: str,
    requests_plan: list[tuple[Any, ...]],
    rate: float,
    connections: int,
) -> list[tuple[float, float, float, int, bytes]]:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    pending: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    results: list[Any] = [None] * len(requests_plan)

    def encode(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def work() -> None:
        streams = None
        while (item := await pending.get()) is not None:
            index, scheduled = item
            sent = time.time()
            status, body = 0, b""
            for _attempt in range(2):  # a keep-alive connection the server closed: once more
                try:
                    if streams is None:
                        streams = await asyncio.open_connection(host, port)
                    reader, writer = streams
                    writer.write(encode(*requests_plan[index]))
                    status, body, keep = await _read_response(reader)
                    if not keep:
                        writer.close()
                        streams = None
                    break
                except (OSError, ConnectionError, ValueError, asyncio.IncompleteReadError):
                    if streams is not None:
                        streams[1].close()
                    streams = None
            results[index] = (scheduled, sent, time.time(), status, body if status >= 300 else b"")
        if streams is not None:
            streams[1].close()

    workers = [asyncio.create_task(work()) for _ in range(connections)]
    started = time.time() + 0.2
    for index in range(len(requests_plan)):
        scheduled = started + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.time()))
        pending.put_nowait((index, scheduled))
    for _ in workers:
        pending.put_nowait(None)
    await asyncio.gather(*workers)
    return results


def driver(
    conn: Connection,
    base_url: str,
    requests_plan: list[tuple[Any, ...]],
    rate: float,
    connections: int = 256,
) -> None:
    """Child process: send `requests_plan` [(method, path, headers[, body])] at `rate` per second,
    open loop (each at its scheduled time, whether earlier ones were answered or not), over at
    most `connections` keep-alive connections (one event loop: about a tenth of the CPU a
    thread per connection with http.client took); send back
    {"results": [(scheduled, sent, answered, status, body of an error)], "cpu": seconds}."""
    cpu = time.process_time()
    results = asyncio.run(_drive(base_url, requests_plan, rate, connections))
    conn.send({"results": results, "cpu": time.process_time() - cpu})


if __name__ == "__main__":
    print(__doc__)
