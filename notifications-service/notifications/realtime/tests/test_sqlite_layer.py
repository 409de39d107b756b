"""The embedded default's channel layer: a message sent by one process reaches a socket held by
another, through a SQLite file and no server (the in-memory layer could not: `make run` stored a
like's notification in `run_events` and the socket in the ASGI process never heard of it)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from notifications.realtime.layers import SQLiteChannelLayer

TIMEOUT = 5
SEND_FROM_ANOTHER_PROCESS = """
import sys
from notifications.realtime.layers import SQLiteChannelLayer
layer = SQLiteChannelLayer(path=sys.argv[1])
layer.group_send_now("user.someone", {"type": "deliver", "message": {"n": int(sys.argv[2])}})
"""


def send_from_another_process(path: Path, n: int) -> None:
    subprocess.run(
        [sys.executable, "-c", SEND_FROM_ANOTHER_PROCESS, str(path), str(n)],
        cwd=settings.BASE_DIR,
        check=True,
        timeout=60,
    )


def test_a_group_message_from_another_process_reaches_this_ones_channel(tmp_path: Path) -> None:
    path = tmp_path / "channels.sqlite3"
    layer = SQLiteChannelLayer(path=str(path), poll_interval=0.02)
    send_from_another_process(path, 0)  # before anyone listens: not delivered later

    async def scenario() -> None:
        channel = await layer.new_channel()
        other = await layer.new_channel()
        await layer.group_add("user.someone", channel)
        await layer.group_add("user.else", other)
        await asyncio.to_thread(send_from_another_process, path, 1)
        await asyncio.to_thread(send_from_another_process, path, 2)
        first = await asyncio.wait_for(layer.receive(channel), TIMEOUT)
        second = await asyncio.wait_for(layer.receive(channel), TIMEOUT)
        assert [first["message"]["n"], second["message"]["n"]] == [1, 2]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(other), 0.3)
        await layer.group_discard("user.someone", channel)
        await asyncio.to_thread(send_from_another_process, path, 3)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(channel), 0.3)
        await layer.close()

    async_to_sync(scenario)()


def test_old_rows_are_forgotten(tmp_path: Path) -> None:
    layer = SQLiteChannelLayer(path=str(tmp_path / "channels.sqlite3"), message_ttl=0)
    layer.group_send_now("user.someone", {"type": "deliver", "message": {}})
    layer._forget_old()
    assert layer._after(0) == []


def test_the_embedded_default_uses_it() -> None:
    """Without Redis the settings pick the SQLite layer under the var folder."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CHANNEL_LAYERS['default']['BACKEND'])",
        ],
        cwd=settings.BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if "REDIS_URL" not in k},
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip().endswith("SQLiteChannelLayer")
