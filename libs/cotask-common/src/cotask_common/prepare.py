"""Preparing `var/` (the embedded default's data folder) for a service to run in.

Importing settings writes nothing: tools that only read them (mypy's Django plugin, a linter, a
`python -c "import config.settings"`) leave no folders or keys behind, and a read-only container
can import them. Whatever starts a process instead calls `prepare_var_dir` first: the shared entry
points (`manage.py`, WSGI, ASGI, Celery), `scripts/stack.py` once before it starts the processes,
and the kit's pytest plugin.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from cotask_common.env import env_str, repo_var_dir
from cotask_common.settings import SERVICES, embedded_secret_path, production_mode


def prepare_var_dir(
    *, services: Iterable[str] = SERVICES, var_dir: Path | None = None, secrets_too: bool = True
) -> Path:
    """Create `var/` and what each service's settings point into there: the static root, the
    Celery filesystem transport's folders and (embedded default only) the service's secret key.
    Idempotent and safe to run from several processes at once."""
    var_dir = var_dir if var_dir is not None else repo_var_dir()
    var_dir.mkdir(parents=True, exist_ok=True)
    for service in services:
        (var_dir / "static" / service).mkdir(parents=True, exist_ok=True)
        for folder in ("out", "processed", "control"):
            (var_dir / "celery" / service / folder).mkdir(parents=True, exist_ok=True)
        # Production never falls back to a local key (build_settings refuses to start instead).
        own_key = env_str(f"{service.upper()}_DJANGO_SECRET_KEY") or env_str("DJANGO_SECRET_KEY")
        if secrets_too and not production_mode() and not own_key:
            _create_secret(embedded_secret_path(var_dir, service))
    return var_dir


def _create_secret(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and linked into place: of processes starting together, the first wins and the
    # others keep its key instead of each writing its own.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
