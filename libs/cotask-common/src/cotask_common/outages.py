"""A dependency that cannot be reached is a temporary answer, never an internal error.

An exception raised because PostgreSQL, Redis, the Celery broker or the S3 store cannot be
reached (refused, reset, timed out, restarting) becomes a 503 in the kit's error shape, with a
translated message and `Retry-After`, from the REST exception handler and from the 500 handler
(for what fails outside a view: a middleware, the admin). The log line names the dependency;
the answer does not (a client has nothing to do with our topology).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError
from django.db import OperationalError as DatabaseError
from django.utils.translation import gettext as _

logger = logging.getLogger("cotask.outages")

# Seconds a client should wait before trying again: a restart or a failover takes a few.
RETRY_AFTER_SECONDS = 5

DATABASE = "database"
REDIS = "redis"
BROKER = "broker"
STORAGE = "storage"


def _kinds() -> list[tuple[tuple[type[BaseException], ...], str]]:
    kinds: list[tuple[tuple[type[BaseException], ...], str]] = [
        ((DatabaseError, InterfaceError), DATABASE)
    ]
    try:  # the clients below are optional per service; each maps only when installed
        from redis import exceptions as redis_errors

        kinds.append(((redis_errors.ConnectionError, redis_errors.TimeoutError), REDIS))
    except ImportError:  # pragma: no cover
        pass
    try:
        from kombu.exceptions import OperationalError as BrokerError

        kinds.append(((BrokerError,), BROKER))
    except ImportError:  # pragma: no cover
        pass
    try:
        from botocore import exceptions as s3_errors

        kinds.append(
            (
                (
                    s3_errors.EndpointConnectionError,
                    s3_errors.ConnectionClosedError,
                    s3_errors.ConnectTimeoutError,
                    s3_errors.ReadTimeoutError,
                ),
                STORAGE,
            )
        )
    except ImportError:  # pragma: no cover
        pass
    return kinds


_KINDS: list[tuple[tuple[type[BaseException], ...], str]] | None = None


def unavailable_dependency(exc: BaseException | None) -> str | None:
    """The dependency `exc` says is unreachable (following what it was raised from), or None."""
    global _KINDS
    if _KINDS is None:
        _KINDS = _kinds()
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for types, name in _KINDS:
            if isinstance(exc, types):
                return name
        exc = exc.__cause__ or exc.__context__
    return None


def unavailable_message() -> str:
    return _("The service is unavailable for a moment. Please try again in a few seconds.")


def log_outage(dependency: str, exc: BaseException, request: Any = None) -> None:
    path = getattr(request, "path", "") or getattr(getattr(request, "_request", None), "path", "")
    logger.warning(
        "%s unavailable: %s: %s (answered 503 to %s)",
        dependency,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        path or "-",
    )
