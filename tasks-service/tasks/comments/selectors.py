"""Reading comments: a task's comments, and one comment for a member of its room."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import NotFound

from cotask_common.users.models import UserRef
from tasks.comments.models import Comment
from tasks.planning.models import Task
from tasks.rooms.access import membership_in
from tasks.rooms.models import Membership, RoomRole


class CommentNotFound(NotFound):
    default_detail = gettext_lazy("No comment with this id.")
    default_code = "comment_not_found"


def comments_of(*, task: Task) -> QuerySet[Comment]:
    """A task's comments, oldest first (deleted ones are gone; an author's deleted account
    leaves the text with no author)."""
    return (
        Comment.objects.filter(task=task, deleted_at__isnull=True)
        .select_related("author")
        .prefetch_related("mentioned")
    )


def comment_for(
    *, user: UserRef, comment_id: Any, at_least: str = RoomRole.VIEWER
) -> tuple[Comment, Membership]:
    """The comment and the user's membership of its room (at least `at_least`); a missing,
    deleted or foreign comment is one 404 (`comment_not_found`)."""
    try:
        value = comment_id if isinstance(comment_id, UUID) else UUID(str(comment_id))
    except (TypeError, ValueError):
        raise CommentNotFound() from None
    comment = (
        Comment.objects.select_related("task__room")
        .filter(id=value, deleted_at__isnull=True, task__room__memberships__user=user)
        .first()
    )
    if comment is None:
        raise CommentNotFound()
    membership = membership_in(user=user, room_id=comment.task.room_id, at_least=at_least)
    return comment, membership
