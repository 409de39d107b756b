"""The Celery app of a service: Redis broker in production, the filesystem transport otherwise."""

from __future__ import annotations

import os

from celery import Celery


def make_celery(service: str) -> Celery:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    app = Celery(service)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.task_default_queue = service
    app.conf.broker_connection_retry_on_startup = True
    app.autodiscover_tasks()
    return app
