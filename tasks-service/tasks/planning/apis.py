"""Thin views of tasks: create in a room or the personal space, read/edit/delete, the board and
its moves, the lists, a task's history."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from cotask_common.errors import ServiceError
from cotask_common.pagination import CursorPagination
from cotask_common.security.requests import SignedInRequest
from cotask_common.users.models import UserRef
from cotask_common.views import paginated
from tasks.planning import pages, selectors, services
from tasks.planning.serializers import (
    PRIORITY_LIST,
    Q_MAX,
    STATUS_LIST,
    UUID_OR_ME,
    BoardOutput,
    MoveInput,
    TaskChangeOutput,
    TaskFilterInput,
    TaskInput,
    TaskOutput,
    TaskUpdateInput,
)
from tasks.rooms.access import membership_in
from tasks.rooms.services import personal_space_for

MAX_COLUMN_LIMIT = 100
DEFAULT_COLUMN_LIMIT = 20


def actor_of(request: SignedInRequest) -> UserRef:
    """The caller as a UserRef (the kit's authentication made sure the row exists; no query)."""
    return UserRef(id=request.user.id, username=request.user.username)


def _valid(serializer_class: type, data: Any, **kwargs: Any) -> Any:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


def _task_out(actor: UserRef, task_id: Any) -> dict[str, Any]:
    task, _membership = selectors.task_for(user=actor, task_id=task_id)
    return TaskOutput(task).data


def _written_out(task: Any) -> dict[str, Any]:
    """The JSON of a task a write service has just returned (it checked the caller)."""
    return TaskOutput(selectors.written_task(task_id=task.id)).data


FILTER_PARAMETERS = [
    OpenApiParameter(
        "status",
        {"type": "string", **STATUS_LIST},
        description="pending,in_progress,completed (comma list)",
    ),
    OpenApiParameter("assignee", {"type": "string", **UUID_OR_ME}, description="a user id or `me`"),
    OpenApiParameter("label", OpenApiTypes.UUID, description="a label id"),
    OpenApiParameter(
        "priority",
        {"type": "string", **PRIORITY_LIST},
        description="none,low,medium,high,urgent (comma list)",
    ),
    OpenApiParameter("due", str, enum=["overdue", "today", "week", "none"]),
    OpenApiParameter("due_from", OpenApiTypes.DATE, description="YYYY-MM-DD"),
    OpenApiParameter(
        "due_to",
        OpenApiTypes.DATE,
        description="YYYY-MM-DD; before due_from is a 400 `range_order` naming due_to",
    ),
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": Q_MAX},
        description="text in the title or description (blank: no text filter)",
    ),
    OpenApiParameter("sort", str, enum=list(selectors.SORTS)),
    OpenApiParameter(
        "tz",
        {"type": "string", "maxLength": 64},
        description="IANA time zone for today/week (default: the account's)",
    ),
]
# The rule across the filters, in the operations' own words.
FILTER_RULES = (
    "Each filter checks its own values (a 400 naming it). One rule spans two: `due_to` before "
    "`due_from` is a 400 `range_order` naming `due_to`."
)


def _list(
    view: APIView,
    request: SignedInRequest,
    rows_for: Any,
    *,
    page: str,
    versions: list[tuple[Any, int]],
    owner: Any = None,
) -> HttpResponse:
    """A page of tasks, cached under the versions of the rooms it reads (`pages`); `owner`:
    whose page it is when it differs by reader ("my tasks", `assignee=me`)."""
    actor = actor_of(request)
    # `today` and `week` are the reader's days: `?tz=`, else the account's zone (token `tz`).
    saved_zone = getattr(request.user, "claims", {}).get("tz")

    def build() -> Any:
        # Validated here, on a miss only: a cached page's URL (its key) was valid when it was
        # rendered, and a URL that is not never gets a page.
        params = _valid(
            TaskFilterInput,
            request.query_params,
            context={"user_id": actor.id, "time_zone": saved_zone},
        )
        # The page's related rows come as values (attach_related_values), not prefetched.
        rows = rows_for(actor, params.filters()).prefetch_related(None)
        sort = params.validated_data.get("sort", selectors.DEFAULT_SORT)
        paginator = CursorPagination()
        paginator.ordering = selectors.SORTS[sort]
        tasks: list[Any] = paginator.paginate_queryset(rows, request, view=view) or []
        selectors.attach_related_values(tasks)
        return paginator.get_paginated_response(TaskOutput(tasks, many=True).data).data

    key = None
    if pages.cacheable(request):
        key = pages.page_key(
            page, versions=versions, request=request, extra=f"{owner}|{saved_zone}"
        )
    return pages.cached_json(key, build)


class RoomTasksApi(APIView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=TaskOutput(many=True),
        summary="A room's tasks",
        description=f"A room's tasks, filtered and sorted (members). {FILTER_RULES}",
    )
    def get(self, request: SignedInRequest, room_id: str) -> HttpResponse:
        actor = actor_of(request)
        membership = membership_in(user=actor, room_id=room_id)
        room = membership.room
        return _list(
            self,
            request,
            lambda actor, filters: selectors.room_tasks(
                user=actor, room_id=room_id, filters=filters, membership=membership
            ),
            page="room-tasks",
            versions=[(room.id, room.version)],
            # The same page for every member, unless it says `assignee=me`.
            owner=actor.id if request.query_params.get("assignee") == "me" else None,
        )

    @extend_schema(request=TaskInput, responses={201: TaskOutput}, summary="Create a task (member)")
    def post(self, request: SignedInRequest, room_id: str) -> Response:
        actor = actor_of(request)
        data = _valid(TaskInput, request.data).validated_data
        task = services.create_task(actor=actor, room_id=room_id, **data)
        return Response(_written_out(task), status=status.HTTP_201_CREATED)


class PersonalTasksApi(APIView):
    @extend_schema(
        request=TaskInput, responses={201: TaskOutput}, summary="Create a task in my personal space"
    )
    def post(self, request: SignedInRequest) -> Response:
        actor = actor_of(request)
        data = _valid(TaskInput, request.data).validated_data
        space = personal_space_for(user=actor)
        task = services.create_task(actor=actor, room_id=space.id, **data)
        return Response(_written_out(task), status=status.HTTP_201_CREATED)


class MyTasksApi(APIView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=TaskOutput(many=True),
        summary="Tasks assigned to me, and my personal space's tasks",
        description="Tasks assigned to me in any room, and my personal space's tasks, filtered "
        f"and sorted. {FILTER_RULES}",
    )
    def get(self, request: SignedInRequest) -> HttpResponse:
        actor = actor_of(request)
        rooms = selectors.my_rooms(user=actor)
        return _list(
            self,
            request,
            lambda actor, filters: selectors.my_tasks(user=actor, filters=filters, rooms=rooms),
            page="my-tasks",
            versions=[(room.id, room.version) for room in rooms],
            owner=actor.id,
        )


class TaskDetailApi(APIView):
    @extend_schema(responses=TaskOutput, summary="A task (viewer)")
    def get(self, request: SignedInRequest, task_id: str) -> Response:
        return Response(_task_out(actor_of(request), task_id))

    @extend_schema(
        request=TaskUpdateInput,
        responses=TaskOutput,
        parameters=[OpenApiParameter("scope", str, enum=["this", "following"])],
        summary="Edit a task (member)",
    )
    def patch(self, request: SignedInRequest, task_id: str) -> Response:
        actor = actor_of(request)
        data = _valid(TaskUpdateInput, request.data, partial=True).validated_data
        scope = request.query_params.get("scope", "this")
        if scope not in ("this", "following"):
            raise ServiceError.for_field(
                "scope", _("One of: %(names)s.") % {"names": "this, following"}, code="invalid"
            )
        task = services.update_task(actor=actor, task_id=task_id, scope=scope, **data)
        return Response(_written_out(task))

    @extend_schema(responses={204: None}, summary="Delete a task and its subtasks (member)")
    def delete(self, request: SignedInRequest, task_id: str) -> Response:
        services.delete_task(actor=actor_of(request), task_id=task_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskMoveApi(APIView):
    @extend_schema(
        request=MoveInput, responses=TaskOutput, summary="Move a task on the board (member)"
    )
    def post(self, request: SignedInRequest, task_id: str) -> Response:
        actor = actor_of(request)
        data = _valid(MoveInput, request.data).validated_data
        task = services.move_task(actor=actor, task_id=task_id, **data)
        # The service read the task as its JSON shows it (a move changes only its status,
        # place and completion there): only its related lists remain to read, unless the
        # service's one read brought them too (a move next to an anchor on PostgreSQL).
        if not hasattr(task, "shown_assignees"):
            selectors.attach_related_values([task])
        return Response(TaskOutput(task).data)


class TaskHistoryApi(APIView):
    @extend_schema(responses=TaskChangeOutput(many=True), summary="A task's history (viewer)")
    def get(self, request: SignedInRequest, task_id: str) -> Response:
        rows = selectors.task_history(user=actor_of(request), task_id=task_id)
        return paginated(self, request, rows, TaskChangeOutput, ordering=("-id",))


class BoardApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_COLUMN_LIMIT},
                description="tasks per column (default 20, max 100)",
            ),
            OpenApiParameter("column", str, enum=list(selectors.BOARD_COLUMNS)),
            OpenApiParameter(
                "cursor",
                str,
                description="with `column`: that column's next page; a cursor without `column` "
                "is a 400 `cursor_needs_column` naming `column` (a cursor belongs to one column)",
            ),
        ],
        responses=BoardOutput,
        summary="The board: each status column by position (viewer)",
    )
    def get(self, request: SignedInRequest, room_id: str) -> HttpResponse:
        membership = membership_in(user=actor_of(request), room_id=room_id)
        room = membership.room
        try:
            limit = int(request.query_params.get("limit", DEFAULT_COLUMN_LIMIT))
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_COLUMN_LIMIT:
            raise ServiceError.for_field(
                "limit",
                _("Between 1 and %(limit)d.") % {"limit": MAX_COLUMN_LIMIT},
                code="invalid",
            )
        column = request.query_params.get("column")
        if column is not None and column not in selectors.BOARD_COLUMNS:
            raise ServiceError.for_field(
                "column",
                _("One of: %(names)s.") % {"names": ", ".join(selectors.BOARD_COLUMNS)},
                code="invalid",
            )
        if column is None and request.query_params.get("cursor"):
            # A cursor belongs to one column; applied to all three it would skip tasks.
            raise ServiceError.for_field(
                "column",
                _("A cursor pages one column: name it (one of: %(names)s).")
                % {"names": ", ".join(selectors.BOARD_COLUMNS)},
                code="cursor_needs_column",  # a rule across parameters, stated in the document
            )

        def build() -> dict[str, Any]:
            columns_pages = []
            for status_name in [column] if column else selectors.BOARD_COLUMNS:
                paginator = CursorPagination()
                paginator.ordering = ("position", "id")
                paginator.page_size = limit
                paginator.page_size_query_param = None  # type: ignore[assignment]  # DRF: no param
                page = paginator.paginate_queryset(
                    selectors.board_column(room=room, status=status_name), request, view=self
                )
                # The next page of this column: the same URL with this column and its cursor.
                paginator.base_url = replace_query_param(
                    request.build_absolute_uri(), "column", status_name
                )
                columns_pages.append((status_name, page, paginator.get_next_link()))
            # The related rows of every column's tasks in one go (3 queries, not 3 per column).
            selectors.attach_related_values(
                [task for _, page, _ in columns_pages for task in page or []]
            )
            columns = [
                {"status": name, "tasks": TaskOutput(page, many=True).data, "next": next_link}
                for name, page, next_link in columns_pages
            ]
            return {
                "room": {"id": str(room.id), "name": room.name, "kind": room.kind},
                "columns": columns,
            }

        # The same page for every member: the permission check above ran for this reader.
        key = pages.page_key("board", versions=[(room.id, room.version)], request=request)
        return pages.cached_json(key, build)
