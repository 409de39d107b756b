"""A concretize request and its plan: one row from the request (queued) through the Celery job
(running, done or failed) to the person's acceptance (`accepted_at`, the subtasks made).

Steps and clarifying questions are JSON on the row (a plan is read and accepted whole, never
queried by step). Only its owner ever reads it. Nothing is created under the task before
acceptance.
"""

from __future__ import annotations

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef
from tasks.planning.models import Task


class PlanStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Provider(models.TextChoices):
    LLM = "llm"
    RULES = "rules"


class Plan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    # The task the steps become subtasks of (null: a free-text goal; accepting makes the task).
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A finer breakdown of one step of another plan.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="breakdowns"
    )
    parent_step = models.PositiveSmallIntegerField(null=True, blank=True)
    goal = models.TextField()
    language = models.CharField(max_length=8)
    # {"deadline": "YYYY-MM-DD"|None, "minutes_per_day", "minutes_per_week", "level"}
    context = models.JSONField(default=dict)
    answers = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.QUEUED)
    provider = models.CharField(max_length=8, choices=Provider.choices, blank=True)
    fallback_reason = models.CharField(max_length=32, blank=True)
    steps = models.JSONField(default=list)
    questions = models.JSONField(default=list)
    error = models.CharField(max_length=64, blank=True)
    # sha256 of what was asked: an identical request within a day gets this plan again.
    fingerprint = models.CharField(max_length=64)
    # Calls made to the chat-completions API for this plan (the daily quota and budget sum it).
    llm_calls = models.PositiveSmallIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The task the accepted steps went under (the given task, or the one made for the goal).
    accepted_task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["owner", "fingerprint", "created_at"], name="plan_owner_fp"),
            models.Index(fields=["created_at"], name="plan_created"),
        ]

    def __str__(self) -> str:
        return f"{self.goal[:40]} ({self.status})"

    @property
    def provider_or_none(self) -> str | None:
        return self.provider or None
