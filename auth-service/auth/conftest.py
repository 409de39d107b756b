"""auth-service test setup: cheap hashing, throttles off unless a test turns them on, a cache
namespace per test (so Redis-backed runs never share counters), Celery tasks run inline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _auth_test_settings(settings: Any) -> Iterator[None]:
    from config.celery import app

    # Argon2 at its real cost would make the suite slow; test_hashing checks the real setting.
    settings.AUTH_ARGON2_TIME_COST = 1
    settings.AUTH_ARGON2_MEMORY_COST_KIB = 1024
    settings.AUTH_ARGON2_PARALLELISM = 1
    settings.AUTH_THROTTLE_ENABLED = False
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"auth-test-{uuid.uuid4().hex[:12]}"}
        for name, config in settings.CACHES.items()
    }
    eager, propagates = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = eager, propagates
