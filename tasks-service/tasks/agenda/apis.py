"""Thin views of the agenda: read it, plan a task's day, ask for suggestions and answer them.
Everything is the caller's own: nobody reads or answers another person's agenda."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.localtime import zone_named
from cotask_common.openapi import error_response
from cotask_common.pagination import CursorPagination
from cotask_common.security.requests import SignedInRequest
from tasks.agenda import selectors, services
from tasks.agenda.serializers import AgendaOutput, PlanInput, SuggestionOutput
from tasks.planning.apis import actor_of


def _zone(request: SignedInRequest) -> str:
    # The person's zone: their account's (token claim `tz`), else UTC.
    return str(zone_named(getattr(request.user, "claims", {}).get("tz")))


class AgendaApi(APIView):
    @extend_schema(
        operation_id="tasks_agenda",
        parameters=[
            OpenApiParameter(
                "start", OpenApiTypes.DATE, description="YYYY-MM-DD (my zone); default today"
            ),
            OpenApiParameter(
                "days",
                {"type": "integer", "minimum": 1, "maximum": selectors.MAX_DAYS},
                description="1 (default) to 7",
            ),
        ],
        responses=AgendaOutput,
        summary="My agenda: tasks, habits and cards of a day or the next days",
    )
    def get(self, request: SignedInRequest) -> HttpResponse:
        zone = _zone(request)
        today = timezone.now().astimezone(zone_named(zone)).date()
        first, count = selectors.parse_window(
            start=request.query_params.get("start"),
            days=request.query_params.get("days"),
            today=today,
        )
        result = selectors.agenda(user_id=request.user.id, time_zone=zone, first=first, count=count)
        # Plain JSON types only, encoded by orjson: the stdlib encoder DRF renders with took
        # about a sixth of this request's CPU for a week of 300+ tasks (docs/decisions.md).
        return HttpResponse(
            orjson.dumps(selectors.agenda_json(result)), content_type="application/json"
        )


class PlanApi(APIView):
    @extend_schema(
        request=PlanInput,
        responses={204: None},
        summary="Plan one of my tasks without a deadline for a day (null: unplan)",
    )
    def put(self, request: SignedInRequest, task_id: str) -> Response:
        data = PlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.plan_task(user=actor_of(request), task_id=task_id, day=data.validated_data["day"])
        return Response(status=status.HTTP_204_NO_CONTENT)


def _suggestions_page(view: APIView, request: SignedInRequest) -> Response:
    paginator = CursorPagination()
    page = paginator.paginate_queryset(
        selectors.pending_suggestions(user_id=request.user.id), request, view
    )
    return paginator.get_paginated_response(SuggestionOutput(page, many=True).data)


class SuggestionsApi(APIView):
    @extend_schema(responses=SuggestionOutput(many=True), summary="My suggestions not answered")
    def get(self, request: SignedInRequest) -> Response:
        return _suggestions_page(self, request)

    @extend_schema(
        request=None,
        responses=SuggestionOutput(many=True),
        summary="Plan my next seven days: new suggestions replace the unanswered ones",
    )
    def post(self, request: SignedInRequest) -> Response:
        services.suggest(user=actor_of(request), time_zone=_zone(request))
        return _suggestions_page(self, request)


class AcceptApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: SuggestionOutput,
            409: error_response(
                "Already answered (`already_answered`), or the task changed since "
                "(`suggestion_stale`)"
            ),
        },
        summary="Accept: the task moves",
    )
    def post(self, request: SignedInRequest, suggestion_id: Any) -> Response:
        row = services.accept(
            user=actor_of(request), suggestion_id=suggestion_id, time_zone=_zone(request)
        )
        return Response(SuggestionOutput(row).data)


class IgnoreApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: SuggestionOutput,
            409: error_response("Already answered (`already_answered`)"),
        },
        summary="Ignore: nothing moves",
    )
    def post(self, request: SignedInRequest, suggestion_id: Any) -> Response:
        row = services.ignore(user=actor_of(request), suggestion_id=suggestion_id)
        return Response(SuggestionOutput(row).data)
