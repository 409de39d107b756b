"""The Celery app of a service: Redis broker in production, the filesystem transport otherwise."""

from __future__ import annotations

import os

from celery import Celery


def make_celery(service: str) -> Celery:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    app = Celery(service)
    # Not at once: config/__init__.py imports this app, and importing settings writes nothing.
    # A worker prepares its folders when it first reads its configuration.
    app.on_after_configure.connect(_prepare_folders, weak=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.task_default_queue = service
    app.conf.broker_connection_retry_on_startup = True
    app.autodiscover_tasks()
    return app


def _prepare_folders(sender: Celery, **kwargs: object) -> None:
    from cotask_common.prepare import prepare_var_dir

    prepare_var_dir(services=[sender.main], secrets_too=False)
