"""Process entry points every service shares: `manage.py`, WSGI and ASGI all default to the
service's own `config.settings` (each service runs from its own folder)."""

from __future__ import annotations

import os
import sys

SETTINGS_MODULE = "config.settings"


def manage() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def wsgi_application():  # type: ignore[no-untyped-def]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()
