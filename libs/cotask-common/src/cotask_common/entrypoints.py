"""Process entry points every service shares: `manage.py`, WSGI and ASGI all default to the
service's own `config.settings` (each service runs from its own folder), and prepare `var/` before
the settings are read (importing settings itself writes nothing: cotask_common.prepare)."""

from __future__ import annotations

import gc
import os
import sys

SETTINGS_MODULE = "config.settings"
# Container objects allocated between two youngest-generation collections (Python's default:
# 700, about one collection a request here). See `freeze_loaded_objects`.
GC_YOUNGEST_THRESHOLD = 10_000


def prepare() -> None:
    from cotask_common.prepare import prepare_var_dir

    prepare_var_dir()


def manage() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    prepare()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def wsgi_application():  # type: ignore[no-untyped-def]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    prepare()
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    freeze_loaded_objects()
    return application


def freeze_loaded_objects() -> None:
    """Load the URLconf (every view, serializer and schema: at boot, not at the first request),
    then keep what the process has loaded out of the garbage collector's walks and collect the
    youngest generation less often. A web process holds ~160,000 objects once loaded; each full
    collection walked them all, ~120 ms every ~600 requests of the mentor search, the slowest
    of its requests (bench/mentor_search.py; docs/decisions.md). Frozen, a full collection
    walks only what requests left, ~11 ms; with the higher threshold the collector's CPU per
    request fell from ~0.5 ms to ~0.2 ms. For a web process only, once its app is built."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    gc.collect()  # the loading's own garbage, before it would be frozen with the rest
    gc.freeze()
    gc.set_threshold(GC_YOUNGEST_THRESHOLD, *gc.get_threshold()[1:])
