"""Real outages for tests: each dependency's own client pointed at a port where nothing listens
(or, for SQLite, a file that cannot be opened). No fake of our infrastructure: the failures are
the ones a stopped server gives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import pytest


def closed_port() -> int:
    """A local TCP port nobody listens on (the kernel's pick, released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unreachable(settings_dict: dict[str, Any], vendor: str) -> dict[str, Any]:
    if vendor == "sqlite":
        return {**settings_dict, "NAME": "/nonexistent-cotask-folder/db.sqlite3"}
    return {**settings_dict, "HOST": "127.0.0.1", "PORT": str(closed_port())}


@contextmanager
def database_unreachable(connection: Any) -> Iterator[None]:
    """While inside, `connection` (re)connects to a server that is not there."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(_unreachable(saved, connection.vendor))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def fail_reaching(dependency: str) -> NoReturn:
    """Raise what the dependency's client raises when its server is down."""
    if dependency == "database":
        from django.db import connections

        connection = connections["default"]
        probe = type(connection)(
            _unreachable(connection.settings_dict, connection.vendor), alias="outage-probe"
        )
        probe.ensure_connection()
    elif dependency == "redis":
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        redis.Redis(
            port=closed_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
        ).ping()
    elif dependency == "broker":
        from kombu import Connection

        Connection(f"redis://127.0.0.1:{closed_port()}/0", connect_timeout=1).ensure_connection(
            max_retries=1, interval_start=0, interval_step=0
        )
    elif dependency == "storage":
        boto3 = pytest.importorskip("boto3")
        from botocore.config import Config

        boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{closed_port()}",
            aws_access_key_id="outage",
            aws_secret_access_key="outage",
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 0}, connect_timeout=1),
        ).list_buckets()
    raise AssertionError(f"{dependency} was reached")
