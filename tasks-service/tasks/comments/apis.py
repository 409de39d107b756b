"""Thin views for comments on tasks."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.pagination import CursorPagination
from cotask_common.security.requests import SignedInRequest
from tasks.comments import selectors, services
from tasks.comments.models import Comment
from tasks.comments.serializers import CommentInput, CommentOutput
from tasks.planning.apis import actor_of
from tasks.planning.dependencies import task_for


def _out(comment_id: UUID) -> dict:
    comment = Comment.objects.select_related("author").prefetch_related("mentioned")
    return CommentOutput(comment.get(id=comment_id)).data


class TaskCommentsApi(APIView):
    @extend_schema(responses=CommentOutput(many=True), summary="A task's comments, oldest first")
    def get(self, request: SignedInRequest, task_id: str) -> Response:
        task, _membership = task_for(user=actor_of(request), task_id=task_id)
        paginator = CursorPagination()
        paginator.ordering = "id"
        page = paginator.paginate_queryset(selectors.comments_of(task=task), request, self)
        return paginator.get_paginated_response(CommentOutput(page, many=True).data)

    @extend_schema(request=CommentInput, responses={201: CommentOutput}, summary="Comment")
    def post(self, request: SignedInRequest, task_id: str) -> Response:
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.create_comment(
            user=actor_of(request), task_id=task_id, body=data.validated_data["body"]
        )
        return Response(_out(comment.id), status=status.HTTP_201_CREATED)


class CommentDetailApi(APIView):
    @extend_schema(request=CommentInput, responses=CommentOutput, summary="Edit my comment")
    def patch(self, request: SignedInRequest, comment_id: str) -> Response:
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.update_comment(
            user=actor_of(request), comment_id=comment_id, body=data.validated_data["body"]
        )
        return Response(_out(comment.id))

    @extend_schema(responses={204: None}, summary="Delete a comment (author, or room admin)")
    def delete(self, request: SignedInRequest, comment_id: str) -> Response:
        services.delete_comment(user=actor_of(request), comment_id=comment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
