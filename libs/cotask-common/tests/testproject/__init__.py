"""The kit's test project. Its Celery app (as each service's `config/__init__.py` has one), so
the kit's own tasks queued by shared handlers go to the configured broker, not to Celery's
default one."""

from cotask_common.celery import make_celery

celery_app = make_celery("kit")

__all__ = ["celery_app"]
