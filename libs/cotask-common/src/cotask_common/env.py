"""Reading configuration from the environment, with typed helpers.

Every setting a service reads is documented in the repository's `.env.template`.
"""

from __future__ import annotations

import os
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def repo_var_dir() -> Path:
    """The folder for embedded-mode data shared by all services (SQLite files, event log, media).

    `COTASK_VAR_DIR` wins; otherwise `var/` at the repository root (two levels above a service's
    `config/` package, which is where `manage.py` runs from).
    """
    configured = os.environ.get("COTASK_VAR_DIR")
    if configured:
        path = Path(configured)
    else:
        path = Path.cwd().resolve()
        # Walk up to the repository root (the folder holding libs/cotask-common).
        for candidate in [path, *path.parents]:
            if (candidate / "libs" / "cotask-common").is_dir():
                path = candidate / "var"
                break
        else:
            path = path / "var"
    # Not created here: cotask_common.prepare does it for the processes that need it.
    return path
