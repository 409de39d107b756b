"""Comments on tasks, with the members they mention."""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from tasks.planning.models import Task


class Comment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    # Null once the author's account is deleted (the comment stays as a tombstone, as social's).
    author = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="task_comments"
    )
    body = models.TextField()
    mentioned = models.ManyToManyField(UserRef, related_name="task_mentions", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["task", "id"], name="comment_task_idx")]

    def __str__(self) -> str:
        return f"comment {self.id}"
