"""Thin views of the habits API: parse, call a service or selector, serialize. Only the owner
sees a habit: anyone else gets the 404 a missing id gets."""

from __future__ import annotations

from datetime import date
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.security.requests import SignedInRequest
from cotask_common.views import paginated, valid
from habits.tracking import evaluation, selectors, services, stats
from habits.tracking.serializers import (
    ArchivedQuery,
    CheckinInput,
    CheckinOutput,
    CheckinRecordedOutput,
    HabitInput,
    HabitOutput,
    HabitUpdateInput,
    HeatmapOutput,
    HeatmapQuery,
    OrderInput,
    OrderOutput,
    PauseInput,
    PauseOutput,
    RangeQuery,
    StatsOutput,
    StatsQuery,
    checkin_payload,
    habit_payload,
)


def _today(request: SignedInRequest) -> date:
    return evaluation.today_in(evaluation.zone_for(user=request.user))


def _habit(request: SignedInRequest, habit_id: Any, *, code: int = status.HTTP_200_OK) -> Response:
    today = _today(request)
    habit = selectors.with_today(
        selectors.habit_of(user=request.user, habit_id=habit_id), today=today
    )
    return Response(HabitOutput(habit, context={"today": today}).data, status=code)


# Rules across a habit's fields, checked by the service (a 400 naming the field).
HABIT_RULES = (
    "Rules across fields: `schedule_kind` weekdays needs at least one of `weekdays` "
    "(`weekdays_needed`); times_per_week takes `times` 1-7 and times_per_day 1-24, every_n_days "
    "`interval_days` 1-365 (`out_of_range`); a measurable `kind` needs a `target_value` "
    "(`target_needed`) above 0 (`target_positive`), and no times_per_day schedule "
    "(`measurable_times`, naming `schedule_kind`)."
)


class HabitListApi(APIView):
    @extend_schema(
        parameters=[ArchivedQuery],
        responses=HabitOutput(many=True),
        summary="My habits in my order (active; archived with ?archived=true)",
    )
    def get(self, request: SignedInRequest) -> Response:
        archived = valid(ArchivedQuery, request.query_params)["archived"]
        today = _today(request)
        habits = selectors.habits_of(user=request.user, archived=archived, today=today)
        return paginated(
            self,
            request,
            habits,
            HabitOutput,
            ordering=("position", "id"),
            context={"today": today},
        )

    @extend_schema(
        request=HabitInput,
        responses={201: HabitOutput, 409: error_response("The most habits one person keeps")},
        summary="Create a habit",
        description=HABIT_RULES,
    )
    def post(self, request: SignedInRequest) -> Response:
        habit = services.habit_create(user=request.user, **valid(HabitInput, request.data))
        return _habit(request, habit.id, code=status.HTTP_201_CREATED)


class HabitDetailApi(APIView):
    @extend_schema(responses=HabitOutput, summary="A habit with its streak, strength and today")
    def get(self, request: SignedInRequest, habit_id: str) -> Response:
        return _habit(request, habit_id)

    @extend_schema(
        request=HabitUpdateInput,
        responses=HabitOutput,
        summary="Edit a habit",
        description=HABIT_RULES,
    )
    def patch(self, request: SignedInRequest, habit_id: str) -> Response:
        changes = valid(HabitUpdateInput, request.data, partial=True)
        habit = services.habit_update(user=request.user, habit_id=habit_id, changes=changes)
        return _habit(request, habit.id)

    @extend_schema(responses={204: None}, summary="Delete a habit with its history")
    def delete(self, request: SignedInRequest, habit_id: str) -> Response:
        services.habit_delete(user=request.user, habit_id=habit_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArchiveApi(APIView):
    @extend_schema(request=None, responses=HabitOutput, summary="Archive a habit")
    def post(self, request: SignedInRequest, habit_id: str) -> Response:
        habit = services.habit_archive(user=request.user, habit_id=habit_id, archived=True)
        return _habit(request, habit.id)

    @extend_schema(request=None, responses=HabitOutput, summary="Bring an archived habit back")
    def delete(self, request: SignedInRequest, habit_id: str) -> Response:
        habit = services.habit_archive(user=request.user, habit_id=habit_id, archived=False)
        return _habit(request, habit.id)


class OrderApi(APIView):
    @extend_schema(request=OrderInput, responses=OrderOutput, summary="Put my habits in this order")
    def put(self, request: SignedInRequest) -> Response:
        ids = valid(OrderInput, request.data)["ids"]
        return Response({"ids": services.habits_reorder(user=request.user, ids=ids)})


class PauseListApi(APIView):
    @extend_schema(responses=PauseOutput(many=True), summary="The habit's pauses")
    def get(self, request: SignedInRequest, habit_id: str) -> Response:
        pauses = selectors.pauses_of(user=request.user, habit_id=habit_id)
        return paginated(self, request, pauses, PauseOutput, ordering=("start_date", "id"))

    @extend_schema(
        request=PauseInput,
        responses={201: PauseOutput, 409: error_response("The most pauses a habit has")},
        summary="Pause a habit",
    )
    def post(self, request: SignedInRequest, habit_id: str) -> Response:
        data = valid(PauseInput, request.data)
        pause = services.pause_create(user=request.user, habit_id=habit_id, **data)
        return Response(PauseOutput(pause).data, status=status.HTTP_201_CREATED)


class PauseDetailApi(APIView):
    @extend_schema(responses={204: None}, summary="Remove a pause")
    def delete(self, request: SignedInRequest, habit_id: str, pause_id: str) -> Response:
        services.pause_delete(user=request.user, habit_id=habit_id, pause_id=pause_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckinListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", date, description="first day (included)"),
            OpenApiParameter("to", date, description="last day (included)"),
        ],
        responses=CheckinOutput(many=True),
        summary="The habit's check-ins, newest day first",
    )
    def get(self, request: SignedInRequest, habit_id: str) -> Response:
        params = request.query_params
        bounds = valid(
            RangeQuery,
            # given empty is a 400 naming it, as the document's date says
            {
                k: v
                for k, v in (("start", params.get("from")), ("end", params.get("to")))
                if v is not None
            },
        )
        checkins = selectors.checkins_of(
            user=request.user, habit_id=habit_id, start=bounds.get("start"), end=bounds.get("end")
        )
        return paginated(self, request, checkins, CheckinOutput, ordering=("-day",))

    @extend_schema(
        request=CheckinInput,
        responses={
            200: CheckinRecordedOutput,
            201: CheckinRecordedOutput,
            409: error_response("The habit is archived (`habit_archived`)"),
        },
        summary="Check in for a day (today by default); the same day again updates it",
    )
    def put(self, request: SignedInRequest, habit_id: str) -> Response:
        data = valid(CheckinInput, request.data)
        checkin, created = services.checkin_record(user=request.user, habit_id=habit_id, **data)
        habit = checkin.habit  # the row the service wrote, today's week attached
        today = evaluation.today_in(evaluation.zone_for(user=request.user, owner=habit.owner))
        if getattr(habit, "week_day", None) != today:  # midnight passed meanwhile
            habit = selectors.with_today(habit, today=today)
        return Response(
            {"checkin": checkin_payload(checkin), "habit": habit_payload(habit, today=today)},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CheckinDetailApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("day", OpenApiTypes.DATE, OpenApiParameter.PATH)],
        responses={204: None, 400: error_response("`day` is not a date (YYYY-MM-DD)")},
        summary="Undo the check-in of a day",
    )
    def delete(self, request: SignedInRequest, habit_id: str, day: str) -> Response:
        parsed = valid(CheckinInput, {"day": day})["day"]
        services.checkin_undo(user=request.user, habit_id=habit_id, day=parsed)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HeatmapApi(APIView):
    @extend_schema(
        parameters=[HeatmapQuery],
        responses=HeatmapOutput,
        summary="A year of days: value and state (done, missed, paused, frozen, …)",
    )
    def get(self, request: SignedInRequest, habit_id: str) -> Response:
        today = _today(request)
        year = valid(HeatmapQuery, request.query_params).get("year") or today.year
        habit = selectors.habit_of(user=request.user, habit_id=habit_id)
        # The days are already in HeatmapOutput's shape (the JSON renderer writes the dates):
        # 365 nested serializers would cost more than the heatmap itself.
        return Response({"year": year, "days": stats.heatmap(habit, year=year, today=today)})


class StatsApi(APIView):
    @extend_schema(
        parameters=[StatsQuery],
        responses=StatsOutput,
        summary="Completion rates per week, month or year, and per weekday",
    )
    def get(self, request: SignedInRequest, habit_id: str) -> Response:
        period = valid(StatsQuery, request.query_params)["period"]
        today = _today(request)
        habit = selectors.habit_of(user=request.user, habit_id=habit_id)
        return Response(StatsOutput(stats.completion(habit, period=period, today=today)).data)
