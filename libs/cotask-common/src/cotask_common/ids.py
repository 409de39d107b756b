"""Time-ordered UUIDs (version 7, RFC 9562) for public identifiers.

Python 3.11 has no `uuid.uuid7`; this is the RFC layout: 48 bits of Unix milliseconds, then random
bits, with a per-process monotonic counter so ids made in the same millisecond still sort.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            # Same (or a clock step back): keep order by bumping a 12-bit counter.
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
            now_ms = _last_ms
        else:
            _last_ms = now_ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave room to count up
        counter = _counter
    return _layout(ms=now_ms, rand_a=counter)


def uuid7_at(ms: int) -> uuid.UUID:
    """A UUIDv7 for a given Unix time in milliseconds (data generators backdate rows with it)."""
    return _layout(ms=ms, rand_a=int.from_bytes(os.urandom(2), "big") & 0xFFF)


def _layout(*, ms: int, rand_a: int) -> uuid.UUID:
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= rand_a << 64
    value |= 0b10 << 62
    value |= rand_b
    return uuid.UUID(int=value)
