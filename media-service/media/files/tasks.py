"""Celery tasks: video processing (queued after an upload commits) and conversion (queued once
the video is ready) and periodic housekeeping
(Celery beat, see CELERY_BEAT_SCHEDULE in config/settings.py)."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from celery import shared_task

from media.files import services
from media.files.errors import StorageUnavailable
from media.files.video import ToolMissing

logger = logging.getLogger("cotask.media")


@shared_task(
    name="media.process_video",
    bind=True,
    acks_late=True,
    autoretry_for=(StorageUnavailable, ToolMissing),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def process_video(self: Any, file_id: str) -> str:
    try:
        return services.process_video(file_id=UUID(file_id))
    except (StorageUnavailable, ToolMissing) as exc:
        if self.request.retries >= self.max_retries:
            services.fail_file(
                file_id=UUID(file_id), code="processing_error", message=f"{exc}"[:500]
            )
            return "failed"
        raise


@shared_task(
    name="media.convert_video",
    bind=True,
    acks_late=True,
    # A worker killed mid-conversion: the message is delivered again, and the run starts over.
    reject_on_worker_lost=True,
    autoretry_for=(StorageUnavailable, ToolMissing),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def convert_video(self: Any, file_id: str) -> str:
    try:
        return services.convert_video(file_id=UUID(file_id))
    except (StorageUnavailable, ToolMissing) as exc:
        if self.request.retries >= self.max_retries:
            services.fail_conversion(
                file_id=UUID(file_id), code="processing_error", message=f"{exc}"[:500]
            )
            return "failed"
        raise


@shared_task(name="media.purge_storage")
def purge_storage() -> int:
    return services.purge_deletions()


@shared_task(name="media.expire_uploads")
def expire_uploads() -> int:
    return services.expire_uploads()


@shared_task(name="media.cleanup_unreferenced")
def cleanup_unreferenced() -> int:
    return services.cleanup_unreferenced()


@shared_task(name="media.requeue_stale_processing")
def requeue_stale_processing() -> int:
    return services.requeue_stale_processing()
