"""Tasks: the board (status columns ordered by position), assignees, labels, subtasks,
dependencies, recurrence, and the history of every change."""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from tasks.rooms.models import Label, Room


class Status(models.TextChoices):
    PENDING = "pending", "pending"
    IN_PROGRESS = "in_progress", "in progress"
    COMPLETED = "completed", "completed"


class Priority(models.IntegerChoices):
    """Stored as a number so "sort by priority" is an index order; the API speaks the names."""

    NONE = 0, "none"
    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"
    URGENT = 4, "urgent"


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="subtasks"
    )
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    # Order inside the status column (smaller first); gaps let a move write one row.
    position = models.BigIntegerField(default=0)
    # A deadline is a day (all-day) or an instant; never both.
    due_date = models.DateField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    # due_at, or due_date at 00:00 UTC, or 9999-12-31 without a deadline (services.NO_DEADLINE):
    # one non-null column (and index) for deadline sorts and their cursors.
    due_sort = models.DateTimeField(null=True, blank=True)
    estimate_minutes = models.PositiveIntegerField(null=True, blank=True)
    creator = models.ForeignKey(
        UserRef, null=True, on_delete=models.SET_NULL, related_name="created_tasks"
    )
    assignees = models.ManyToManyField(
        UserRef, through="Assignment", related_name="assigned_tasks", blank=True
    )
    labels = models.ManyToManyField(Label, related_name="tasks", blank=True)
    blocked_by = models.ManyToManyField(
        "self", through="Dependency", symmetrical=False, related_name="blocks", blank=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Recurrence: an RRULE (subset, see planning/recurrence.py); the occurrences of one series
    # share `series_id`.
    recurrence = models.CharField(max_length=200, blank=True, default="")
    series_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["room", "status", "position"], name="task_board_idx"),
            models.Index(fields=["room", "due_sort"], name="task_room_due_idx"),
            models.Index(fields=["room", "-updated_at"], name="task_room_updated_idx"),
            # The lists' other sorts (`priority`, `position`) in a large room.
            models.Index(fields=["room", "priority", "id"], name="task_room_priority_idx"),
            models.Index(fields=["room", "position", "id"], name="task_room_position_idx"),
            models.Index(fields=["parent"], name="task_parent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_date__isnull=True) | models.Q(due_at__isnull=True),
                name="task_one_kind_of_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Assignment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="assignments")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="assignment_unique")]
        indexes = [models.Index(fields=["user", "task"], name="assignment_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.task_id}"


class Dependency(models.Model):
    """`task` is blocked by `blocked_by` (same room; no cycles, checked in services)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dependencies")
    blocked_by = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dependents")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "blocked_by"], name="dependency_unique"),
            models.CheckConstraint(
                condition=~models.Q(task=models.F("blocked_by")), name="dependency_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} blocked by {self.blocked_by_id}"


class TaskChange(models.Model):
    """One line of a task's history: who changed which field when, before → after (JSON)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    field = models.CharField(max_length=32)  # "created", "title", "status", "assignees", …
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["task", "-id"], name="taskchange_task_idx")]

    def __str__(self) -> str:
        return f"{self.field} of {self.task_id}"


class Attachment(models.Model):
    """A media-service file (`purpose` `task_attachment`) attached to a task."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    file_id = models.UUIDField()
    added_by = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "file_id"], name="attachment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.file_id} on {self.task_id}"
