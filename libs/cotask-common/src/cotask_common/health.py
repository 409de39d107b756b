"""Liveness (`healthz`) and readiness (`readyz`: database, event bus, cache, and extras)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("cotask.health")

Check = Callable[[], None]


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"cotask:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was written")
    cache.delete(key)


def check_event_bus() -> None:
    from cotask_common.events.bus import get_bus

    get_bus().ping()


def readiness_checks() -> dict[str, Check]:
    checks: dict[str, Check] = {
        "database": check_database,
        "event_bus": check_event_bus,
        "cache": check_cache,
    }
    # A service adds its own (media: object storage) as {"name": "dotted.path"}.
    for name, path in getattr(settings, "COTASK_EXTRA_READY_CHECKS", {}).items():
        checks[name] = import_string(path)
    return checks


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "service": settings.COTASK_SERVICE})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    failing: list[str] = []
    for name, check in readiness_checks().items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:
            failing.append(name)
            results[name] = {"status": "failing", "error": f"{type(exc).__name__}: {exc}"}
            logger.warning("readiness check failed", extra={"check": name, "error": str(exc)})
        else:
            results[name] = {"status": "ok"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    body: dict[str, object] = {"service": settings.COTASK_SERVICE, "checks": results}
    if failing:
        body.update(
            status="failing",
            code="not_ready",
            message=f"Not ready: {', '.join(failing)} unreachable.",
        )
        return JsonResponse(body, status=503)
    body["status"] = "ok"
    return JsonResponse(body)
