"""Thin views for subtasks, dependencies ("blocked by") and attachments of a task."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.security.requests import SignedInRequest
from cotask_common.views import paginated
from tasks.planning import attachments, dependencies, selectors
from tasks.planning.apis import actor_of
from tasks.planning.serializers import TaskOutput, UserBrief


class SubtasksApi(APIView):
    @extend_schema(responses=TaskOutput(many=True), summary="A task's subtasks (viewer)")
    def get(self, request: SignedInRequest, task_id: str) -> Response:
        task, _membership = dependencies.task_for(user=actor_of(request), task_id=task_id)
        rows = dependencies.subtasks_of(task=task)
        return paginated(self, request, rows, TaskOutput, ordering=("position", "id"))


class BlockedByApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: TaskOutput,
            400: error_response("`other_id` is no task of this room, or would close a cycle"),
        },
        summary="Blocked by another task (member)",
    )
    def post(self, request: SignedInRequest, task_id: str, other_id: str) -> Response:
        actor = actor_of(request)
        dependencies.add_blocker(user=actor, task_id=task_id, blocked_by_id=other_id)
        task, _membership = selectors.task_for(user=actor, task_id=task_id)
        return Response(TaskOutput(task).data)

    @extend_schema(request=None, responses=TaskOutput, summary="No longer blocked by it (member)")
    def delete(self, request: SignedInRequest, task_id: str, other_id: str) -> Response:
        actor = actor_of(request)
        dependencies.remove_blocker(user=actor, task_id=task_id, blocked_by_id=other_id)
        task, _membership = selectors.task_for(user=actor, task_id=task_id)
        return Response(TaskOutput(task).data)


class AttachInput(serializers.Serializer):
    file_id = serializers.CharField(max_length=64)


class AttachmentOutput(serializers.Serializer):
    file_id = serializers.UUIDField()
    added_by = UserBrief(allow_null=True)
    created_at = serializers.DateTimeField()


class AttachmentsApi(APIView):
    @extend_schema(responses=AttachmentOutput(many=True), summary="A task's files (viewer)")
    def get(self, request: SignedInRequest, task_id: str) -> Response:
        task, _membership = dependencies.task_for(user=actor_of(request), task_id=task_id)
        rows = attachments.attachments_of(task=task)
        return paginated(self, request, rows, AttachmentOutput, ordering=("id",))

    @extend_schema(
        request=AttachInput,
        responses={200: AttachmentOutput, 201: AttachmentOutput},
        summary="Attach a file I uploaded with purpose task_attachment (member)",
    )
    def post(self, request: SignedInRequest, task_id: str) -> Response:
        data = AttachInput(data=request.data)
        data.is_valid(raise_exception=True)
        attachment, created = attachments.attach_file(
            user=actor_of(request), task_id=task_id, file_id=data.validated_data["file_id"]
        )
        return Response(
            AttachmentOutput(attachment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AttachmentDetailApi(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Detach a file (member)")
    def delete(self, request: SignedInRequest, task_id: str, file_id: str) -> Response:
        attachments.detach_file(user=actor_of(request), task_id=task_id, file_id=file_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
