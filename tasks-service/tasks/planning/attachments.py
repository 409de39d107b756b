"""Files attached to tasks: media-service files of purpose `task_attachment`.

A member attaches a file they uploaded (known from `media.file.*`, `ready`, theirs, of that
purpose). The reference goes to media as `tasks.media.attached` with the audience `room:<id>`:
media then lets the room's members (granted by the rooms app on join, revoked on leave) read
the private file through signed URLs. Detaching (or deleting the task) publishes
`tasks.media.detached`, and media forgets the audience of that file.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cotask_common.errors import ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.users.models import UserRef
from tasks.mediafiles.models import MediaFile
from tasks.planning.dependencies import task_for
from tasks.planning.models import Attachment, Task, TaskChange
from tasks.rooms.models import RoomRole
from tasks.rooms.services import room_audience

PURPOSE = "task_attachment"
OBJECT_TYPE = "task"
MAX_ATTACHMENTS = 20


def _check_file(*, file_id: Any, owner_id: UUID) -> UUID:
    try:
        value = file_id if isinstance(file_id, UUID) else UUID(str(file_id))
    except (TypeError, ValueError):
        raise ServiceError.for_field("file_id", _("This is not a file id.")) from None
    media = MediaFile.objects.filter(id=value).first()
    if media is None or media.owner_id != owner_id:
        raise ServiceError.for_field(
            "file_id", _("This file does not exist or is not yours."), code="media_not_found"
        )
    if media.status != "ready":
        raise ServiceError.for_field(
            "file_id", _("This file is not ready yet; try again shortly."), code="media_not_ready"
        )
    if media.purpose != PURPOSE:
        raise ServiceError.for_field(
            "file_id",
            _("This file was not uploaded as a task attachment (purpose %(purpose)s).")
            % {"purpose": PURPOSE},
            code="media_wrong_purpose",
        )
    return value


@transaction.atomic
def attach_file(*, user: UserRef, task_id: Any, file_id: Any) -> tuple[Attachment, bool]:
    """Attach the caller's file to the task (member). Returns (attachment, created);
    attaching it again changes nothing."""
    task, _membership = task_for(user=user, task_id=task_id, at_least=RoomRole.MEMBER, lock=True)
    value = _check_file(file_id=file_id, owner_id=user.pk)
    existing = Attachment.objects.filter(task=task, file_id=value).first()
    if existing is not None:
        return existing, False
    if Attachment.objects.filter(task=task).count() >= MAX_ATTACHMENTS:
        raise ServiceError.for_field(
            "file_id",
            ngettext(
                "A task has at most %(max)s attachment.",
                "A task has at most %(max)s attachments.",
                MAX_ATTACHMENTS,
            )
            % {"max": MAX_ATTACHMENTS},
            code="too_many",
        )
    attachment = Attachment.objects.create(task=task, file_id=value, added_by=user)
    TaskChange.objects.create(
        task=task, actor=user, field="attachments", before=None, after=str(value)
    )
    publish_event(
        type="tasks.media.attached",
        key=task.id,
        actor=user.pk,
        data={
            "object_type": OBJECT_TYPE,
            "object_id": str(task.id),
            "file_ids": [str(value)],
            "audience": room_audience(task.room_id),
        },
    )
    return attachment, True


@transaction.atomic
def detach_file(*, user: UserRef, task_id: Any, file_id: Any) -> None:
    """Take a file off the task (member; idempotent)."""
    task, _membership = task_for(user=user, task_id=task_id, at_least=RoomRole.MEMBER, lock=True)
    try:
        value = file_id if isinstance(file_id, UUID) else UUID(str(file_id))
    except (TypeError, ValueError):
        return
    deleted, _rows = Attachment.objects.filter(task=task, file_id=value).delete()
    if not deleted:
        return
    TaskChange.objects.create(
        task=task, actor=user, field="attachments", before=str(value), after=None
    )
    publish_event(
        type="tasks.media.detached",
        key=task.id,
        actor=user.pk,
        data={"object_type": OBJECT_TYPE, "object_id": str(task.id), "file_ids": [str(value)]},
    )


def detach_all(*, task: Task, actor: Any = None) -> None:
    """Before a task is deleted: media forgets its references. Inside the delete's transaction."""
    if Attachment.objects.filter(task=task).exists():
        publish_event(
            type="tasks.media.detached",
            key=task.id,
            actor=actor,
            data={"object_type": OBJECT_TYPE, "object_id": str(task.id)},
        )


def attachments_of(*, task: Task) -> QuerySet[Attachment]:
    return Attachment.objects.filter(task=task).select_related("added_by")
