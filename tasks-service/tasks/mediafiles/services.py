"""Keeping the media projection current (`media.file.*`, declared in
`cotask_common/contracts/media.py`). Idempotent: each event sets the row to what it says."""

from __future__ import annotations

from typing import Any

from tasks.mediafiles.models import MediaFile


def apply_media_event(*, verb: str, data: dict[str, Any]) -> None:
    file_id = data.get("id")
    if not file_id:
        return
    if verb == "deleted":
        MediaFile.objects.filter(id=file_id).delete()
        return
    defaults = {name: data[name] for name in ("owner_id", "purpose", "status") if data.get(name)}
    if verb == "ready":
        defaults["status"] = "ready"
    elif verb == "failed":
        defaults["status"] = "failed"
    if "owner_id" not in defaults and not MediaFile.objects.filter(id=file_id).exists():
        return  # without an owner the file cannot be checked; a later event carries it
    MediaFile.objects.update_or_create(id=file_id, defaults=defaults)
