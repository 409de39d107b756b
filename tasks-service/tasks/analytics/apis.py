"""Thin views of the analytics: a room's figures, per member (admins), and my own."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.security.requests import SignedInRequest
from tasks.analytics import answers, selectors

PERIOD = [
    OpenApiParameter(
        "start", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD (UTC days)"
    ),
    OpenApiParameter(
        "end",
        OpenApiTypes.DATE,
        required=True,
        description="YYYY-MM-DD, not after today in your zone",
    ),
]


def _period(request: SignedInRequest) -> selectors.Period:
    # "today" is the person's: the zone of their account (token claim `tz`), else UTC.
    zone = getattr(request.user, "claims", {}).get("tz")
    params = request.query_params
    return selectors.period_of(start=params.get("start"), end=params.get("end"), time_zone=zone)


class RoomAnalyticsApi(APIView):
    @extend_schema(
        summary="A room's progress: done, open, overdue",
        operation_id="tasks_analytics_room",
        parameters=PERIOD,
        responses=dict,
    )
    def get(self, request: SignedInRequest, room_id: Any) -> HttpResponse:
        # Cached under the room's figures version (tasks/analytics/answers.py).
        return answers.room(request=request, room_id=room_id, period=_period(request))


class RoomMembersAnalyticsApi(APIView):
    @extend_schema(
        summary="A room's figures per member (room admins)",
        operation_id="tasks_analytics_room_members",
        parameters=PERIOD,
        responses=dict,
    )
    def get(self, request: SignedInRequest, room_id: Any) -> HttpResponse:
        return answers.members(request=request, room_id=room_id, period=_period(request))


class MyAnalyticsApi(APIView):
    @extend_schema(
        summary="My own figures across my rooms",
        operation_id="tasks_analytics_me",
        parameters=PERIOD,
        responses=dict,
    )
    def get(self, request: SignedInRequest) -> Response:
        return Response(selectors.my_figures(user=request.user, period=_period(request)))
