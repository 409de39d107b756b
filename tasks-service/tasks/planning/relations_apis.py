"""Thin views for subtasks, dependencies ("blocked by") and attachments of a task."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.pagination import CursorPagination
from cotask_common.users.models import UserRef
from tasks.planning import attachments, dependencies
from tasks.planning.models import Priority, Task


def acting_user(request: Request) -> UserRef:
    """The caller as a UserRef (the kit made the row on their first request): no query."""
    return UserRef(id=request.user.id, username=request.user.username)


class UserBrief(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()


class BlockerBrief(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.CharField()


class SubtaskOutput(serializers.Serializer):
    id = serializers.UUIDField()
    parent_id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.SerializerMethodField()
    position = serializers.IntegerField()
    due = serializers.SerializerMethodField()
    assignees = serializers.SerializerMethodField()
    blocked_by = serializers.SerializerMethodField()
    is_blocked = serializers.BooleanField()
    completed_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_priority(self, task: Task) -> str:
        return Priority(task.priority).label

    def get_due(self, task: Task) -> dict[str, Any] | None:
        if task.due_at is not None:
            return {"at": task.due_at.isoformat()}
        if task.due_date is not None:
            return {"date": task.due_date.isoformat()}
        return None

    def get_assignees(self, task: Task) -> list[dict[str, str]]:
        return [{"id": str(u.id), "username": u.username} for u in task.assignees.all()]

    def get_blocked_by(self, task: Task) -> list[dict[str, Any]]:
        return dependencies.blockers_brief(task)


class BlockedByOutput(serializers.Serializer):
    task_id = serializers.UUIDField()
    blocked_by = BlockerBrief(many=True)
    is_blocked = serializers.BooleanField()


def _blocked_by_out(task: Task) -> dict[str, Any]:
    task = dependencies.with_blockers(Task.objects.filter(id=task.id)).get()
    return {
        "task_id": task.id,
        "blocked_by": dependencies.blockers_brief(task),
        "is_blocked": task.is_blocked,
    }


class SubtasksApi(APIView):
    @extend_schema(responses=SubtaskOutput(many=True), summary="A task's subtasks, in order")
    def get(self, request: Request, task_id: str) -> Response:
        task, _membership = dependencies.task_for(user=acting_user(request), task_id=task_id)
        paginator = CursorPagination()
        paginator.ordering = ("position", "id")
        page = paginator.paginate_queryset(dependencies.subtasks_of(task=task), request, self)
        return paginator.get_paginated_response(SubtaskOutput(page, many=True).data)


class BlockedByApi(APIView):
    @extend_schema(request=None, responses=BlockedByOutput, summary="Mark as blocked by a task")
    def post(self, request: Request, task_id: str, other_id: str) -> Response:
        task = dependencies.add_blocker(
            user=acting_user(request), task_id=task_id, blocked_by_id=other_id
        )
        return Response(BlockedByOutput(_blocked_by_out(task)).data)

    @extend_schema(request=None, responses=BlockedByOutput, summary="No longer blocked by it")
    def delete(self, request: Request, task_id: str, other_id: str) -> Response:
        task = dependencies.remove_blocker(
            user=acting_user(request), task_id=task_id, blocked_by_id=other_id
        )
        return Response(BlockedByOutput(_blocked_by_out(task)).data)


class AttachInput(serializers.Serializer):
    file_id = serializers.CharField(max_length=64)


class AttachmentOutput(serializers.Serializer):
    file_id = serializers.UUIDField()
    added_by = UserBrief(allow_null=True)
    created_at = serializers.DateTimeField()


class AttachmentsApi(APIView):
    @extend_schema(responses=AttachmentOutput(many=True), summary="A task's attached files")
    def get(self, request: Request, task_id: str) -> Response:
        task, _membership = dependencies.task_for(user=acting_user(request), task_id=task_id)
        paginator = CursorPagination()
        paginator.ordering = "id"
        page = paginator.paginate_queryset(attachments.attachments_of(task=task), request, self)
        return paginator.get_paginated_response(AttachmentOutput(page, many=True).data)

    @extend_schema(
        request=AttachInput,
        responses={200: AttachmentOutput, 201: AttachmentOutput},
        summary="Attach a file I uploaded (purpose task_attachment)",
    )
    def post(self, request: Request, task_id: str) -> Response:
        data = AttachInput(data=request.data)
        data.is_valid(raise_exception=True)
        attachment, created = attachments.attach_file(
            user=acting_user(request), task_id=task_id, file_id=data.validated_data["file_id"]
        )
        return Response(
            AttachmentOutput(attachment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AttachmentDetailApi(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Detach a file")
    def delete(self, request: Request, task_id: str, file_id: str) -> Response:
        attachments.detach_file(user=acting_user(request), task_id=task_id, file_id=file_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
