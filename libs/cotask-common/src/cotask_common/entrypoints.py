"""Process entry points every service shares: `manage.py`, WSGI and ASGI all default to the
service's own `config.settings` (each service runs from its own folder), and prepare `var/` before
the settings are read (importing settings itself writes nothing: cotask_common.prepare)."""

from __future__ import annotations

import os
import sys

SETTINGS_MODULE = "config.settings"


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

    return get_wsgi_application()
