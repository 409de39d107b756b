"""Why an upload was refused, in the kit's error format: a stable `code`, a message that names
the field and the limit, and `fields` so a client can show it next to the right input."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from rest_framework import status

from cotask_common.errors import ServiceError


class FileRejected(ServiceError):
    """The file itself is unacceptable (type, size, content). Nothing of it is kept."""

    def __init__(
        self, code: str, message: str, *, field: str = "file", status_code: int | None = None
    ) -> None:
        super().__init__(
            f"{field}: {message}",
            code=code,
            status_code=status_code or status.HTTP_400_BAD_REQUEST,
            fields={field: [{"code": code, "message": message}]},
        )


class StorageUnavailable(RuntimeError):
    """The object storage did not answer; the caller may retry later (503 for requests)."""


def storage_unavailable_error() -> ServiceError:
    return ServiceError(
        _("The file storage is not reachable right now. Try again shortly."),
        code="storage_unavailable",
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


def format_bytes(size: int) -> str:
    """1 MB = 1024 * 1024 bytes, the way limits are written in the product ("5 MB"), in the
    active language's units and decimal mark ("1,5 МБ")."""
    units = (
        (pgettext("size", "%(value)s GB"), 1024**3),
        (pgettext("size", "%(value)s MB"), 1024**2),
        (pgettext("size", "%(value)s KB"), 1024),
    )
    for unit, factor in units:
        if size >= factor:
            value = size / factor
            shown = f"{value:.0f}" if value == int(value) else number_format(round(value, 1), 1)
            return unit % {"value": shown}
    return ngettext("%(value)s byte", "%(value)s bytes", size) % {"value": size}


def too_large(*, size: int, limit: int, what: str | Promise, field: str = "file") -> FileRejected:
    return FileRejected(
        "file_too_large",
        _("The file is %(size)s; the limit for %(what)s is %(limit)s.")
        % {"size": format_bytes(size), "what": what, "limit": format_bytes(limit)},
        field=field,
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )
