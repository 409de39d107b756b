"""Receiving multipart uploads: straight to a temporary file on disk, never into memory, and cut
off as soon as the body passes the limit (a client that ignores the gateway's limit, or talks to
the service directly, cannot fill the disk)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils.translation import pgettext

from media.files.errors import too_large


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, request=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(request)
        self.limit = settings.MEDIA_MAX_MULTIPART_BYTES
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()  # the temporary file is deleted with it
            raise too_large(size=self.received, limit=self.limit, what=_what())
        return super().receive_data_chunk(raw_data, start)


def _what() -> str:
    return pgettext(
        "after for",
        "uploads through the API (use a direct upload for larger files)",
    )


def refuse_oversized_body(content_length: str | None) -> None:
    """Before reading anything: a declared body over the limit is refused at once."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return
    limit = settings.MEDIA_MAX_MULTIPART_BYTES
    if length > limit:
        raise too_large(size=length, limit=limit, what=_what())


@contextmanager
def uploaded_path(upload: Any) -> Iterator[Path]:
    """The uploaded file's path on disk: the handler's temporary file, or a temporary copy for
    an in-memory upload (other handlers)."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    from media.files.services import work_dir

    with work_dir() as folder:
        path = folder / "upload"
        with open(path, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        yield path
