"""Reports and the record of every moderation action (who, what, why, when)."""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef


class TargetType(models.TextChoices):
    POST = "post"
    COMMENT = "comment"
    PAGE = "page"
    MESSAGE = "message"  # a chat message (social.chat)


class Report(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"
        DISMISSED = "dismissed"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    reporter = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="reports")
    target_type = models.CharField(max_length=16, choices=TargetType.choices)
    target_id = models.UUIDField()
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-id"], name="report_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_id"],
                condition=models.Q(status="open"),
                name="report_one_open_per_reporter",
            )
        ]

    def __str__(self) -> str:
        return f"report {self.target_type} {self.target_id} ({self.status})"


class ModerationAction(models.Model):
    class Action(models.TextChoices):
        BLOCK_PAGE = "block_page"
        UNBLOCK_PAGE = "unblock_page"
        DELETE_POST = "delete_post"
        DELETE_COMMENT = "delete_comment"
        RESOLVE_REPORT = "resolve_report"
        DISMISS_REPORT = "dismiss_report"
        BLOCK_EXPIRED = "block_expired"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    actor_id = models.UUIDField(null=True, blank=True)  # None: the system (a block ran out)
    actor_role = models.CharField(max_length=16, blank=True, default="")
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=16, choices=TargetType.choices)
    target_id = models.UUIDField()
    target_owner_id = models.UUIDField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    until = models.DateTimeField(null=True, blank=True)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id"], name="modaction_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target_id}"
