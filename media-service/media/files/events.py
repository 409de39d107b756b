"""What media consumes: references from other services, who may read private files (audiences),
and account deletions.

Any service that stores media ids publishes `<service>.media.attached` / `.detached` (catalogue:
docs/events.md, "media references"); media keeps a file while something references it.
"""

from __future__ import annotations

import logging
from uuid import UUID

from cotask_common import media_access
from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from media.files import services

logger = logging.getLogger("cotask.media")

# Every service but media may reference files.
REFERENCING_SERVICES = ("auth", "social", "tasks", "habits", "notifications")
ATTACHED = tuple(f"{service}.media.attached" for service in REFERENCING_SERVICES)
DETACHED = tuple(f"{service}.media.detached" for service in REFERENCING_SERVICES)
# Services whose objects have audiences (a page's followers; later a room, a shared deck).
AUDIENCE_SERVICES = ("social", "tasks", "habits")
ACCESS = tuple(
    name
    for service in AUDIENCE_SERVICES
    for name in (media_access.granted_type(service), media_access.revoked_type(service))
)


def _file_ids(event: Event) -> list[UUID]:
    ids = []
    for raw in event.data.get("file_ids") or []:
        try:
            ids.append(UUID(str(raw)))
        except ValueError:
            # One bad id must not block the others (nor the consumer): logged and skipped.
            logger.warning(
                "media reference with an invalid file id",
                extra={"event_id": str(event.id), "file_id": str(raw)[:64]},
            )
    return ids


def _object(event: Event) -> tuple[str, str]:
    object_type = str(event.data.get("object_type") or "").strip()[:64]
    object_id = str(event.data.get("object_id") or event.key).strip()[:128]
    return object_type or "object", object_id


@event_handler(*ATTACHED)
def on_media_attached(event: Event) -> None:
    object_type, object_id = _object(event)
    services.attach_references(
        service=event.service,
        object_type=object_type,
        object_id=object_id,
        file_ids=_file_ids(event),
        audience=media_access.reference_audience(event.data),
    )


@event_handler(*DETACHED)
def on_media_detached(event: Event) -> None:
    object_type, object_id = _object(event)
    file_ids = _file_ids(event) if "file_ids" in event.data else None
    services.detach_references(
        service=event.service, object_type=object_type, object_id=object_id, file_ids=file_ids
    )


@event_handler(*ACCESS)
def on_access_changed(event: Event) -> None:
    """Who may read the private files attached to another service's audience."""
    try:
        change = media_access.parse_access_change(event)
    except ValueError as exc:
        # Malformed: retrying cannot help; logged and skipped like a bad reference.
        logger.warning(
            "media access event refused", extra={"event_id": str(event.id), "error": str(exc)}
        )
        return
    if change.skipped:
        logger.warning(
            "media access event with invalid user ids",
            extra={"event_id": str(event.id), "user_ids": change.skipped[:10]},
        )
    services.apply_access_change(
        service=change.service,
        audience=change.audience,
        granted=change.granted,
        user_ids=change.user_ids,
        occurred_at=change.occurred_at,
    )


@event_handler("auth.user.deleted")
def on_user_deleted(event: Event) -> None:
    services.delete_owner_files(owner_id=UUID(str(event.key)))
