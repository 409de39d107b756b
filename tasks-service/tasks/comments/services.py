"""Comments on tasks: writing, editing, deleting, and telling the people concerned.

`@username` names members of the task's room: they get `tasks.task.mentioned`; the task's
creator and assignees (still members) get `tasks.task.commented`, except the author and those
mentioned (a mention says more). A name that is not a member's is left as plain text: the
author learns nothing about accounts outside the room.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cotask_common.errors import Forbidden, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.users.models import UserRef
from tasks.comments.models import Comment
from tasks.comments.selectors import comment_for
from tasks.planning.dependencies import task_for
from tasks.planning.models import Task
from tasks.rooms.access import has_role
from tasks.rooms.models import Membership, RoomRole

BODY_MAX = 5000
EXCERPT = 200
MAX_MENTIONS = 20
# The usernames auth allows: letters, digits, and . _ - (no @ or spaces).
MENTION = re.compile(r"(?<![\w.@])@([\w][\w.-]{0,149})", re.UNICODE)


def _clean_body(body: Any) -> str:
    text = (body if isinstance(body, str) else "").strip()
    if not text:
        raise ServiceError.for_field("body", _("A comment needs text."), code="required")
    if len(text) > BODY_MAX:
        raise ServiceError.for_field(
            "body",
            ngettext(
                "At most %(max)s character, got %(count)s.",
                "At most %(max)s characters, got %(count)s.",
                BODY_MAX,
            )
            % {"max": BODY_MAX, "count": len(text)},
            code="too_long",
        )
    return text


def mentioned_members(*, body: str, room_id: UUID) -> list[UserRef]:
    """The room's members named `@username` in `body` (case-insensitive), in order."""
    names: list[str] = []
    for match in MENTION.finditer(body):
        name = match.group(1).rstrip(".-").lower()
        if name and name not in names:
            names.append(name)
    if not names:
        return []
    names = names[:MAX_MENTIONS]
    rows = (
        Membership.objects.select_related("user")
        .annotate(name=Lower("user__username"))
        .filter(room_id=room_id, name__in=names)
    )
    members = {m.user.username.lower(): m.user for m in rows}
    return [members[name] for name in names if name in members]


def _data(*, task: Task, comment: Comment, recipients: list[UUID]) -> dict[str, Any]:
    return {
        "room_id": str(task.room_id),
        "room_name": task.room.name,
        "task_id": str(task.id),
        "title": task.title,
        "room_kind": task.room.kind,
        "comment_id": str(comment.id),
        "author_id": str(comment.author_id),
        "excerpt": comment.body[:EXCERPT],
        "recipient_ids": [str(uid) for uid in recipients],
    }


def _announce(*, task: Task, comment: Comment, mentioned: list[UserRef], commented: bool) -> None:
    author_id = comment.author_id
    mentioned_ids = [user.id for user in mentioned if user.id != author_id]
    if mentioned_ids:
        publish_event(
            type="tasks.task.mentioned",
            key=task.id,
            actor=author_id,
            data=_data(task=task, comment=comment, recipients=mentioned_ids),
        )
    if not commented:
        return
    concerned = {task.creator_id, *task.assignments.values_list("user_id", flat=True)}
    concerned.discard(None)
    concerned.discard(author_id)
    concerned.difference_update(mentioned_ids)
    # Only people who may still read the room hear of it.
    members = set(
        Membership.objects.filter(room_id=task.room_id, user_id__in=concerned).values_list(
            "user_id", flat=True
        )
    )
    publish_event(
        type="tasks.task.commented",
        key=task.id,
        actor=author_id,
        data=_data(task=task, comment=comment, recipients=sorted(members, key=str)),
    )


@transaction.atomic
def create_comment(*, user: UserRef, task_id: Any, body: Any) -> Comment:
    """A member comments on a task."""
    task, _membership = task_for(user=user, task_id=task_id, at_least=RoomRole.MEMBER)
    text = _clean_body(body)
    comment = Comment.objects.create(task=task, author=user, body=text)
    mentioned = mentioned_members(body=text, room_id=task.room_id)
    comment.mentioned.set(mentioned)
    _announce(task=task, comment=comment, mentioned=mentioned, commented=True)
    return comment


@transaction.atomic
def update_comment(*, user: UserRef, comment_id: Any, body: Any) -> Comment:
    """The author edits their comment (still a member); newly mentioned members are told."""
    comment, _membership = comment_for(user=user, comment_id=comment_id, at_least=RoomRole.MEMBER)
    if comment.author_id != user.pk:
        raise Forbidden(_("Only the comment's author may edit it."), code="not_comment_author")
    text = _clean_body(body)
    before = set(comment.mentioned.values_list("id", flat=True))
    comment.body = text
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    mentioned = mentioned_members(body=text, room_id=comment.task.room_id)
    comment.mentioned.set(mentioned)
    new = [user_ref for user_ref in mentioned if user_ref.id not in before]
    _announce(task=comment.task, comment=comment, mentioned=new, commented=False)
    return comment


@transaction.atomic
def delete_comment(*, user: UserRef, comment_id: Any) -> None:
    """The author (a member) or a room admin deletes a comment. It leaves no text behind."""
    comment, membership = comment_for(user=user, comment_id=comment_id, at_least=RoomRole.MEMBER)
    if comment.author_id != user.pk and not has_role(membership.role, RoomRole.ADMIN):
        raise Forbidden(
            _("Only the comment's author or a room admin may delete it."),
            code="not_comment_author",
        )
    remove_comment(comment=comment)


def remove_comment(*, comment: Comment) -> None:
    """Gone from the task: text emptied, mentions dropped, row kept (ids stay unique)."""
    comment.body = ""
    comment.deleted_at = timezone.now()
    comment.save(update_fields=["body", "deleted_at"])
    comment.mentioned.clear()
