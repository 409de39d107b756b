"""Thin views of the rooms API: parse, call a service or selector, serialize."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.security.requests import SignedInRequest
from cotask_common.views import paginated, valid
from tasks.rooms import selectors, services
from tasks.rooms.serializers import (
    HistoryOutput,
    JoinCodeOutput,
    JoinInput,
    LabelCreateInput,
    LabelOutput,
    LabelUpdateInput,
    MemberOutput,
    RoleInput,
    RoomCreateInput,
    RoomOutput,
    RoomUpdateInput,
    UserIdInput,
)
from tasks.rooms.throttles import WrongJoinCodeThrottle


def _room(request: SignedInRequest, room_id: Any) -> Response:
    room = selectors.room_with_counts(room_id=room_id, user=request.user)
    return Response(RoomOutput(room).data)


class RoomListApi(APIView):
    @extend_schema(responses=RoomOutput(many=True), summary="The team rooms I am in")
    def get(self, request: SignedInRequest) -> Response:
        return paginated(self, request, selectors.rooms_of(user=request.user), RoomOutput)

    @extend_schema(request=RoomCreateInput, responses={201: RoomOutput}, summary="Create a room")
    def post(self, request: SignedInRequest) -> Response:
        room = services.room_create(user=request.user, **valid(RoomCreateInput, request.data))
        response = _room(request, room.id)
        response.status_code = status.HTTP_201_CREATED
        return response


class PersonalSpaceApi(APIView):
    @extend_schema(responses=RoomOutput, summary="My personal space (made on first use)")
    def get(self, request: SignedInRequest) -> Response:
        room = services.personal_space_for(user=request.user)
        return _room(request, room.id)


class RoomDetailApi(APIView):
    @extend_schema(responses=RoomOutput, summary="A room I am in")
    def get(self, request: SignedInRequest, room_id: str) -> Response:
        room = selectors.room_for(user=request.user, room_id=room_id)
        return Response(RoomOutput(room).data)

    @extend_schema(
        request=RoomUpdateInput, responses=RoomOutput, summary="Rename, or share progress (admin)"
    )
    def patch(self, request: SignedInRequest, room_id: str) -> Response:
        changes = valid(RoomUpdateInput, request.data)
        room = services.room_update(user=request.user, room_id=room_id, changes=changes)
        return _room(request, room.id)

    @extend_schema(
        responses={204: None, 409: error_response("Not for the personal space (`personal_space`)")},
        summary="Delete the room and its tasks (owner)",
    )
    def delete(self, request: SignedInRequest, room_id: str) -> Response:
        services.room_delete(user=request.user, room_id=room_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JoinCodeApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: JoinCodeOutput,
            409: error_response("Not for the personal space (`personal_space`)"),
        },
        summary="A new join code (admin)",
    )
    def post(self, request: SignedInRequest, room_id: str) -> Response:
        room = services.join_code_regenerate(user=request.user, room_id=room_id)
        return Response({"join_code": room.join_code})


class JoinApi(APIView):
    @extend_schema(
        request=JoinInput,
        responses={
            200: RoomOutput,
            429: error_response("Too many wrong join codes (`throttled`)"),
        },
        summary="Join a room by its code",
    )
    def post(self, request: SignedInRequest) -> Response:
        throttle = WrongJoinCodeThrottle()
        if not throttle.allow_request(request, self):
            raise Throttled(wait=throttle.wait(), detail=throttle.message(), code="throttled")
        code = valid(JoinInput, request.data)["code"]
        try:
            room = services.room_join(user=request.user, code=code)
        except services.InvalidJoinCode:
            throttle.record_wrong()
            raise
        return _room(request, room.id)


class LeaveApi(APIView):
    @extend_schema(
        request=None,
        responses={
            204: None,
            409: error_response(
                "The personal space (`personal_space`), or the owner, who must hand the "
                "room over first (`owner_must_hand_over`)"
            ),
        },
        summary="Leave the room",
    )
    def post(self, request: SignedInRequest, room_id: str) -> Response:
        services.room_leave(user=request.user, room_id=room_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListApi(APIView):
    @extend_schema(responses=MemberOutput(many=True), summary="The room's members")
    def get(self, request: SignedInRequest, room_id: str) -> Response:
        members = selectors.members_of(user=request.user, room_id=room_id)
        # Joined order; the cursor carries `joined_at`, not the internal row id.
        return paginated(self, request, members, MemberOutput, ordering=("joined_at", "id"))


class MemberDetailApi(APIView):
    @extend_schema(
        request=RoleInput,
        responses={
            200: MemberOutput,
            409: error_response("Not for the personal space (`personal_space`)"),
        },
        summary="Change a role (admin)",
    )
    def patch(self, request: SignedInRequest, room_id: str, user_id: str) -> Response:
        role = valid(RoleInput, request.data)["role"]
        membership = services.member_change_role(
            user=request.user, room_id=room_id, user_id=user_id, role=role
        )
        return Response(MemberOutput(membership).data)

    @extend_schema(
        responses={204: None, 409: error_response("Not for the personal space (`personal_space`)")},
        summary="Remove a member (admin)",
    )
    def delete(self, request: SignedInRequest, room_id: str, user_id: str) -> Response:
        services.member_remove(user=request.user, room_id=room_id, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TransferOwnershipApi(APIView):
    @extend_schema(
        request=UserIdInput,
        responses={
            200: RoomOutput,
            409: error_response("Not for the personal space (`personal_space`)"),
        },
        summary="Hand the room over",
    )
    def post(self, request: SignedInRequest, room_id: str) -> Response:
        target = valid(UserIdInput, request.data)["user_id"]
        room = services.ownership_transfer(user=request.user, room_id=room_id, user_id=target)
        return _room(request, room.id)


class LabelListApi(APIView):
    @extend_schema(responses=LabelOutput(many=True), summary="The room's labels")
    def get(self, request: SignedInRequest, room_id: str) -> Response:
        labels = selectors.labels_of(user=request.user, room_id=room_id)
        return paginated(self, request, labels, LabelOutput, ordering="id")

    @extend_schema(request=LabelCreateInput, responses={201: LabelOutput}, summary="Add a label")
    def post(self, request: SignedInRequest, room_id: str) -> Response:
        data = valid(LabelCreateInput, request.data)
        label = services.label_create(user=request.user, room_id=room_id, **data)
        return Response(LabelOutput(label).data, status=status.HTTP_201_CREATED)


class LabelDetailApi(APIView):
    @extend_schema(request=LabelUpdateInput, responses=LabelOutput, summary="Edit a label")
    def patch(self, request: SignedInRequest, room_id: str, label_id: str) -> Response:
        changes = valid(LabelUpdateInput, request.data)
        label = services.label_update(
            user=request.user, room_id=room_id, label_id=label_id, changes=changes
        )
        return Response(LabelOutput(label).data)

    @extend_schema(responses={204: None}, summary="Delete a label")
    def delete(self, request: SignedInRequest, room_id: str, label_id: str) -> Response:
        services.label_delete(user=request.user, room_id=room_id, label_id=label_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HistoryApi(APIView):
    @extend_schema(responses=HistoryOutput(many=True), summary="The room's membership history")
    def get(self, request: SignedInRequest, room_id: str) -> Response:
        history = selectors.history_of(user=request.user, room_id=room_id)
        return paginated(self, request, history, HistoryOutput)
