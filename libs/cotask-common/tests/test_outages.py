"""Redis down is not an outage of the API: rate limits count per process until it is back, and
the signing keys' cache is skipped; any other use of an unreachable dependency is a 503 (the
service contract suite shows that for every service)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from cotask_common import outages, throttling
from cotask_common.testing.outages import closed_port, fail_reaching


class ProbeThrottle(throttling.RateThrottle):
    scope = "outage-probe"
    rate_setting = "OUTAGE_PROBE_RATE"


class Probe(throttling.NamedLimitThrottling, APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes = [ProbeThrottle]

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


def _unreachable_redis() -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": settings.CACHES["default"].get("OPTIONS", {}),
        }
    }


@pytest.fixture
def fresh_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    throttling._process_counts.clear()
    monkeypatch.setattr(throttling, "_shared_down_until", 0.0)


def test_rate_limits_count_per_process_while_redis_is_unreachable(
    fresh_fallback: None, caplog: pytest.LogCaptureFixture
) -> None:
    factory = APIRequestFactory()
    with override_settings(CACHES=_unreachable_redis(), OUTAGE_PROBE_RATE="2/m"):
        codes = [
            Probe.as_view()(factory.get("/probe", REMOTE_ADDR="203.0.113.9")).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        # Another client has its own count.
        other = Probe.as_view()(factory.get("/probe", REMOTE_ADDR="203.0.113.10"))
        assert other.status_code == 200
    # Logged once, naming Redis: later requests did not try the server again.
    logged = [r.getMessage() for r in caplog.records if r.name == "cotask.outages"]
    assert len(logged) == 1 and logged[0].startswith("redis unavailable")


def test_rate_limits_go_back_to_the_shared_counts_when_redis_returns(
    fresh_fallback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    factory = APIRequestFactory()
    with override_settings(CACHES=_unreachable_redis(), OUTAGE_PROBE_RATE="1/m"):
        assert Probe.as_view()(factory.get("/probe", REMOTE_ADDR="203.0.113.11")).status_code == 200
    monkeypatch.setattr(throttling, "_shared_down_until", 0.0)  # the retry interval passed
    with override_settings(OUTAGE_PROBE_RATE="1/m"):
        cache.clear()
        # The shared cache had not counted the first request: it allows one more, then refuses.
        codes = [
            Probe.as_view()(factory.get("/probe", REMOTE_ADDR="203.0.113.11")).status_code
            for _ in range(2)
        ]
    assert codes == [200, 429]


@pytest.mark.parametrize(
    ("dependency", "expected"),
    [("database", "database"), ("redis", "redis"), ("broker", "broker"), ("storage", "storage")],
)
@pytest.mark.django_db
def test_each_clients_failure_is_named_for_its_dependency(dependency: str, expected: str) -> None:
    with pytest.raises(Exception) as failure:
        fail_reaching(dependency)
    assert outages.unavailable_dependency(failure.value) == expected


def test_a_failure_raised_from_an_outage_is_the_outage() -> None:
    try:
        try:
            fail_reaching("redis")
        except Exception as exc:
            raise RuntimeError("could not rebuild the timeline") from exc
    except RuntimeError as wrapped:
        assert outages.unavailable_dependency(wrapped) == "redis"
    assert outages.unavailable_dependency(ValueError("bad input")) is None


def _forward_later(port: int, target: tuple[str, int], after: float) -> threading.Thread:
    """After `after` seconds, listen on `port` and relay each connection to `target`: a
    PostgreSQL that comes back on its address while a client is connecting."""

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def serve() -> None:
        time.sleep(after)
        with socket.create_server(("127.0.0.1", port)) as server:
            client, _ = server.accept()
            upstream = socket.create_connection(target)
            relay = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
            relay.start()
            pipe(client, upstream)
            relay.join(5)
            client.close()
            upstream.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_new_database_connection_is_tried_again_while_the_server_comes_back() -> None:
    from django.db import connections

    default = connections["default"]
    if default.vendor != "postgresql":
        pytest.skip("the retry is the PostgreSQL backend's")
    port = closed_port()
    forwarder = _forward_later(
        port,
        (default.settings_dict["HOST"] or "127.0.0.1", int(default.settings_dict["PORT"])),
        0.4,
    )
    probe = type(default)({**default.settings_dict, "PORT": str(port)}, alias="retry-probe")
    started = time.monotonic()
    try:
        with probe.cursor() as cursor:  # refused at first, then served through the forwarder
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        probe.close()
    assert time.monotonic() - started >= 0.25  # it did wait for the server
    forwarder.join(5)


@pytest.mark.django_db(transaction=True)
def test_a_database_that_stays_away_fails_after_the_brief_retries() -> None:
    from django.db import OperationalError, connections

    default = connections["default"]
    if default.vendor != "postgresql":
        pytest.skip("the retry is the PostgreSQL backend's")
    probe = type(default)({**default.settings_dict, "PORT": str(closed_port())}, alias="gone")
    started = time.monotonic()
    with pytest.raises(OperationalError):
        probe.ensure_connection()
    assert 0.9 <= time.monotonic() - started < 5
