"""The Redis channel layer's connections, and pushes from code that has no event loop (the
event consumer's thread). Needs REDIS_URL (the real server); skipped on the in-memory layer."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from redis.asyncio import BlockingConnectionPool, Redis

from config.asgi import application
from notifications.inbox import services
from notifications.realtime import push
from notifications.realtime.layers import RedisChannelLayer

pytestmark = pytest.mark.skipif(
    not settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("RedisChannelLayer"),
    reason="REDIS_URL is not set: the in-memory channel layer is in use",
)

TIMEOUT = 5


def scratch_layer(**config: object) -> RedisChannelLayer:
    """A layer like the service's, on its own key prefix (nothing else reads it)."""
    base = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    return RedisChannelLayer(
        hosts=base["hosts"], prefix=f"cotask:test:{uuid.uuid4().hex[:8]}", **config
    )


def test_the_pool_is_bounded_and_has_no_client_side_timeout():
    layer = scratch_layer(pool_size=7, pool_timeout=3)
    pool = layer.create_pool(0)
    assert isinstance(pool, BlockingConnectionPool)
    assert (pool.max_connections, pool.timeout) == (7, 3)
    # redis-py 8's 5 s default equals the layer's BZPOPMIN timeout (busy processes dropped
    # sockets on read timeouts), and any timeout makes redis-py send through wait_for, which
    # loses cancellations on Python 3.11 (layers.py): none, and keepalive instead.
    assert pool.connection_kwargs["socket_timeout"] is None
    assert pool.connection_kwargs["socket_keepalive"] is True


def test_a_burst_of_group_adds_waits_for_connections_instead_of_failing():
    """5,000 sockets connecting at once each add themselves to a group; redis-py's default pool
    raised `Too many connections` beyond 100 at a time. Here 400 at once share 5."""
    layer = scratch_layer(pool_size=5, pool_timeout=10)

    async def scenario() -> None:
        channels = [await layer.new_channel() for _ in range(400)]
        await asyncio.gather(
            *(layer.group_add(f"user.{i}", channel) for i, channel in enumerate(channels))
        )
        pool = layer.connection(0).connection_pool
        assert len(pool._available_connections) + len(pool._in_use_connections) <= 5
        await layer.group_send("user.7", {"type": "deliver", "message": {"n": 7}})
        message = await asyncio.wait_for(layer.receive(channels[7]), TIMEOUT)
        assert message["message"] == {"n": 7}
        await layer.flush()

    async_to_sync(scenario)()


def test_connections_that_died_idle_are_replaced_not_failed():
    """After Redis restarts, the pool's idle connections are dead; each used to fail the first
    command it carried (a handshake's `group_add`: a 503; an open socket: told to resume)."""
    name = f"cotask-test-{uuid.uuid4().hex[:8]}"
    layer = scratch_layer(pool_size=3)
    layer.hosts = [{**layer.hosts[0], "client_name": name}]  # to find them in CLIENT LIST

    async def scenario() -> None:
        channels = [await layer.new_channel() for _ in range(6)]
        await asyncio.gather(*(layer.group_add("everyone", channel) for channel in channels))
        admin = Redis.from_url(layer.hosts[0]["address"])  # another client of that server
        try:
            ours = [c["id"] for c in await admin.client_list() if c.get("name") == name]
            assert ours, "the layer's connections carry its client name"
            for client_id in ours:  # what a restart does to them, without stopping Redis
                await admin.client_kill_filter(_id=client_id)
        finally:
            await admin.aclose()
        await asyncio.gather(*(layer.group_add("everyone", channel) for channel in channels))
        await layer.group_send("everyone", {"type": "deliver", "message": {"n": 1}})
        message = await asyncio.wait_for(layer.receive(channels[0]), TIMEOUT)
        assert message["message"] == {"n": 1}
        await layer.flush()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_push_from_a_thread_without_an_event_loop_reaches_the_socket(announce, like):
    """The event consumer's thread has no loop: its pushes run on the process's push loop,
    which keeps one Redis pool instead of opening a connection per push."""
    author, liker = announce(), announce(username="ann")
    ticket, _ = services.issue_ws_ticket(user_id=author.id, username=author.username, role="user")

    async def scenario() -> None:
        socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
        assert (await socket.connect(timeout=TIMEOUT))[0]
        assert json.loads(await socket.receive_from(timeout=TIMEOUT))["type"] == "hello"
        for n in range(3):
            # A plain thread, like the consumer's: not asgiref's, so no loop to go back to.
            worker = threading.Thread(target=like_and_close, args=(author, liker))
            worker.start()
            await asyncio.to_thread(worker.join)
            frame = json.loads(await socket.receive_from(timeout=TIMEOUT))
            assert (frame["type"], frame["cursor"]) == ("notification", n + 1)
        await socket.disconnect()

    def like_and_close(author: object, liker: object) -> None:
        try:
            like(author, liker)
        finally:
            connections.close_all()  # this thread's connection only

    async_to_sync(scenario)()
    # The pushes ran on the push loop, whose pool the layer keeps (a loop per push would
    # have been closed, and its pool with it).
    assert push.push_loop.loop() in get_channel_layer()._layers
