"""Database configuration: PostgreSQL with one schema per service, or SQLite under var/."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from cotask_common.env import env_int, env_str


def database_settings(*, service: str, var_dir: Path) -> dict[str, Any]:
    """`DATABASE_URL` (postgres://user:pass@host:port/db) selects PostgreSQL with the service's
    own schema on the search_path; without it the service uses `var/<service>.sqlite3`."""
    url = env_str("DATABASE_URL")
    schema = env_str("DATABASE_SCHEMA", service)
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": var_dir / f"{service}.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            "TEST": {"NAME": str(var_dir / f"test_{service}.sqlite3")},
        }
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, got scheme {parsed.scheme!r}")
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    name = unquote(parsed.path.lstrip("/"))
    return {
        "ENGINE": "cotask_common.postgres",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # Only this service's schema: its tables (django_migrations included) live there.
            "options": f"-c search_path={schema}",
            **({"sslmode": query["sslmode"]} if "sslmode" in query else {}),
        },
        # Each service has its own test database so suites can run side by side.
        "TEST": {"NAME": f"test_{name}_{service}"},
        "COTASK_SCHEMA": schema,
    }
