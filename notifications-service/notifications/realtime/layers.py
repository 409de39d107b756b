"""The Redis channel layer, with connection settings that hold 5,000 sockets per process.

channels-redis builds each event loop's pool with redis-py's defaults, and redis-py 8 changed
two of them in ways that break it under load:
- `max_connections` became 100, for a pool that raises (`MaxConnectionsError: Too many
  connections`) instead of waiting; each connecting socket's `group_add` takes a connection, so
  a burst of handshakes failed some of them. Here the pool is a `BlockingConnectionPool`: at
  most `pool_size` connections, and a command waits up to `pool_timeout` seconds for a free one.
- `socket_timeout` became 5 s, exactly the server-side timeout of the `BZPOPMIN` the layer
  blocks in while a process's sockets wait for messages (`brpop_timeout`). When the loop is busy
  the client gives up first: `TimeoutError: Timeout reading from …`, and the socket whose
  receive was running dies with it. A longer
  timeout is not the cure either: with any `socket_timeout` redis-py sends each command inside
  `asyncio.wait_for`, which on Python 3.11 swallows a cancellation that arrives as the send
  completes; a disconnecting socket's cancelled receive then keeps looping on `BZPOPMIN`, and
  uvicorn waits for it forever on shutdown (seen with 50 sockets and a few hundred pushes). So
  there is no client-side timeout, as before redis-py 8 (the server answers every `BZPOPMIN`
  within 5 s), and TCP keepalive finds a vanished server instead.
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.asyncio import BlockingConnectionPool, ConnectionPool


class RedisChannelLayer(BaseRedisChannelLayer):
    def __init__(
        self,
        *,
        pool_size: int = 50,
        pool_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.connect_timeout = connect_timeout

    def create_pool(self, index: int) -> ConnectionPool:
        host = dict(self.hosts[index])
        if "master_name" in host:  # Sentinel: channels-redis's own pool, configured per host
            return super().create_pool(index)
        options: dict[str, Any] = {
            "max_connections": self.pool_size,
            "timeout": self.pool_timeout,
            "socket_timeout": None,  # see the module docstring
            "socket_connect_timeout": self.connect_timeout,
            # What finds a server that vanished without closing the connection (~45 s).
            "socket_keepalive": True,
        }
        options.update({k: v for k, v in host.items() if k != "address"})  # explicit wins
        if "address" in host:
            return BlockingConnectionPool.from_url(host["address"], **options)
        return BlockingConnectionPool(**options)
