"""Input validation and the JSON of tasks, board columns and history."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cotask_common.openapi import checked_text
from tasks.planning.models import Priority, Status
from tasks.planning.selectors import SORTS, TaskFilters
from tasks.planning.services import due_value
from tasks.rooms.serializers import UserBrief  # one schema component for {id, username}

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
PRIORITY_NAMES = [label for _value, label in Priority.choices]


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "description": "YYYY-MM-DD (all day) or an ISO 8601 date-time with its offset",
        "example": "2026-12-24T18:00:00+02:00",
    }
)
class DueField(serializers.Field):
    """A deadline: `"YYYY-MM-DD"` (all day) or an ISO 8601 time WITH its offset; null clears."""

    default_error_messages = {
        "invalid_due": _(
            "Give a date (YYYY-MM-DD) or a date and time with its offset "
            "(for example 2026-12-03T17:00:00+01:00)."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> date | datetime:
        if not isinstance(data, str):
            self.fail("invalid_due")
        text = data.strip()
        if DATE_RE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                self.fail("invalid_due")
        if "T" not in text and " " not in text:
            self.fail("invalid_due")
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail("invalid_due")
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("invalid_due")
        return value

    def to_representation(self, value: Any) -> Any:
        return value


class PriorityField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PRIORITY_NAMES, **kwargs)

    def to_internal_value(self, data: Any) -> Any:  # the priority's number, not its name
        name = super().to_internal_value(data)
        return PRIORITY_NAMES.index(name)


class TaskInput(serializers.Serializer):
    title = serializers.CharField(max_length=255, trim_whitespace=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    status = serializers.ChoiceField(choices=Status.values, required=False)
    priority = PriorityField(required=False)
    due = DueField(required=False)
    estimate_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100_000
    )
    assignee_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=50
    )
    label_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=20)
    parent_id = serializers.UUIDField(required=False, allow_null=True)
    blocked_by_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=50
    )
    recurrence = serializers.CharField(required=False, allow_blank=True, max_length=200)


class TaskUpdateInput(TaskInput):
    title = serializers.CharField(max_length=255, required=False)


class MoveInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.values)
    before_id = serializers.UUIDField(required=False, allow_null=True)
    after_id = serializers.UUIDField(required=False, allow_null=True)
    index = serializers.IntegerField(required=False, allow_null=True, min_value=0)


def _comma_separated(names: list[str]) -> dict[str, str]:
    """The document of a comma-separated list of `names` (spaces and empty items ignored)."""
    name = "(?:" + "|".join(re.escape(n) for n in names) + ")"
    return {"pattern": rf"^\s*(?:{name}\s*)?(?:,\s*(?:{name}\s*)?)*$"}


# Empty or blank too (no filter), spaces around trimmed.
UUID_OR_ME = {"pattern": r"^\s*(?:|me|[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12})\s*$"}
STATUS_LIST = _comma_separated(list(Status.values))
PRIORITY_LIST = _comma_separated(PRIORITY_NAMES)


Q_MAX = 200


class TaskFilterInput(serializers.Serializer):
    # The validate_* methods check these, with messages of their own.
    # Blank (spaces too) is no filter, as the patterns say.
    status = checked_text(STATUS_LIST, required=False, allow_blank=True)
    assignee = checked_text(UUID_OR_ME, required=False, allow_blank=True)
    # DRF's metaclass takes declared fields out of the class, so this does not replace
    # Field.label; mypy cannot know that.
    label = serializers.UUIDField(required=False)  # type: ignore[assignment]
    priority = checked_text(PRIORITY_LIST, required=False, allow_blank=True)
    due = serializers.ChoiceField(choices=["overdue", "today", "week", "none"], required=False)
    due_from = serializers.DateField(required=False)
    due_to = serializers.DateField(required=False)
    # Trimmed in `filters`, so the 200 characters are counted as sent (as the document says);
    # blank is no text filter.
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=Q_MAX, trim_whitespace=False
    )
    sort = serializers.ChoiceField(choices=list(SORTS), required=False)
    tz = serializers.CharField(required=False, max_length=64)

    def validate_status(self, value: str) -> list[str]:
        names = [v.strip() for v in value.split(",") if v.strip()]
        wrong = [n for n in names if n not in Status.values]
        if wrong:
            raise serializers.ValidationError(
                _("Unknown status: %(names)s.") % {"names": ", ".join(wrong)}, code="invalid"
            )
        return names

    def validate_priority(self, value: str) -> list[int]:
        names = [v.strip() for v in value.split(",") if v.strip()]
        wrong = [n for n in names if n not in PRIORITY_NAMES]
        if wrong:
            raise serializers.ValidationError(
                _("Unknown priority: %(names)s.") % {"names": ", ".join(wrong)}, code="invalid"
            )
        return [PRIORITY_NAMES.index(n) for n in names]

    def validate_assignee(self, value: str) -> Any:
        if not value:
            return None
        if value == "me":
            return self.context["user_id"]
        try:
            return serializers.UUIDField().to_internal_value(value)
        except serializers.ValidationError:
            raise serializers.ValidationError(_("A user id or `me`."), code="invalid") from None

    def validate_tz(self, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError(_("Unknown time zone."), code="invalid") from None
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("due_from"), attrs.get("due_to")
        if start and end and start > end:
            # A rule across parameters: its own code, stated in the operations' descriptions.
            raise serializers.ValidationError(
                {"due_to": _("due_to must not be before due_from.")}, code="range_order"
            )
        return attrs

    def filters(self) -> TaskFilters:
        data = self.validated_data
        return TaskFilters(
            status=data.get("status"),
            assignee=data.get("assignee"),
            label=data.get("label"),
            priority=data.get("priority"),
            due=data.get("due"),
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            q=data.get("q", "").strip(),
            tz=data.get("tz") or self.context.get("time_zone") or "UTC",
        )


# ---------------------------------------------------------------------------------------------
# Output


class RoomBrief(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.CharField()


class LabelBrief(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    color = serializers.CharField()


class BlockerBrief(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.CharField()


class DueOutput(serializers.Serializer):
    date = serializers.DateField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)


class ProgressOutput(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


def _user(user: Any) -> dict[str, str] | None:
    return None if user is None else {"id": str(user.id), "username": user.username}


class TaskOutput(serializers.Serializer):
    id = serializers.UUIDField()
    room = RoomBrief()
    parent_id = serializers.UUIDField(allow_null=True)
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.values)
    priority = serializers.ChoiceField(choices=PRIORITY_NAMES)
    position = serializers.IntegerField()
    due = DueOutput(allow_null=True)
    estimate_minutes = serializers.IntegerField(allow_null=True)
    assignees = UserBrief(many=True)
    labels = LabelBrief(many=True)
    creator = UserBrief(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = UserBrief(allow_null=True)
    recurrence = serializers.CharField(allow_null=True)
    subtasks_progress = ProgressOutput()
    blocked_by = BlockerBrief(many=True)
    is_blocked = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, task: Any) -> dict[str, Any]:
        """Built directly from the prefetched rows (task_queryset): lists render many tasks."""
        room = task.room
        # Lists and the board attach the related rows as values
        # (selectors.attach_related_values); a single task prefetches them.
        assignees = getattr(task, "shown_assignees", None)
        if assignees is None:
            assignees = [_user(a.user) for a in task.assignments.all()]
        labels = getattr(task, "shown_labels", None)
        if labels is None:
            labels = [
                {"id": str(label.id), "name": label.name, "color": label.color}
                for label in sorted(task.labels.all(), key=lambda label: label.name.lower())
            ]
        blockers = getattr(task, "shown_blockers", None)
        if blockers is None:
            blockers = [
                {
                    "id": str(d.blocked_by.id),
                    "title": d.blocked_by.title,
                    "status": d.blocked_by.status,
                }
                for d in task.dependencies.all()
            ]
        return {
            "id": str(task.id),
            "room": {"id": str(room.id), "name": room.name, "kind": room.kind},
            "parent_id": str(task.parent_id) if task.parent_id else None,
            "title": task.title,
            "description": task.description,
            "status": task.status,
            "priority": Priority(task.priority).label,
            "position": task.position,
            "due": due_value(task),
            "estimate_minutes": task.estimate_minutes,
            "assignees": assignees,
            "labels": labels,
            "creator": _user(task.creator),
            "completed_at": iso(task.completed_at),
            "completed_by": _user(task.completed_by),
            "recurrence": task.recurrence or None,
            "subtasks_progress": {
                "done": int(getattr(task, "subtasks_done", 0) or 0),
                "total": int(getattr(task, "subtasks_total", 0) or 0),
            },
            "blocked_by": blockers,
            "is_blocked": bool(getattr(task, "is_blocked", False)),
            "created_at": iso(task.created_at),
            "updated_at": iso(task.updated_at),
        }


class ColumnOutput(serializers.Serializer):
    status = serializers.CharField()
    tasks = TaskOutput(many=True)
    next = serializers.CharField(allow_null=True)


class BoardOutput(serializers.Serializer):
    room = RoomBrief()
    columns = ColumnOutput(many=True)


class TaskChangeOutput(serializers.Serializer):
    id = serializers.UUIDField()
    actor = UserBrief(allow_null=True)
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    at = serializers.DateTimeField()

    def to_representation(self, change: Any) -> dict[str, Any]:
        return {
            "id": str(change.id),
            "actor": _user(change.actor),
            "field": change.field,
            "before": change.before,
            "after": change.after,
            "at": iso(change.created_at),
        }
