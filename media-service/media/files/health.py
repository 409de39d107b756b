"""Readiness of the object storage (settings.COTASK_EXTRA_READY_CHECKS)."""

from __future__ import annotations

from media.files.storage import get_storage


def check_storage() -> None:
    """S3: HEAD the bucket (2 s connect, 3 s read, no retry). Local: both folders writable."""
    get_storage().check()
