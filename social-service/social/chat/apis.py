"""Thin views of chat, under `/api/social/chat/`. Every view of a conversation answers 404 to
anyone who is not (or no longer) in it, exactly as for an id that does not exist."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import connection
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.errors import Forbidden, ServiceError
from cotask_common.openapi import error_response
from cotask_common.roles import can_moderate
from cotask_common.security.requests import SignedInRequest
from cotask_common.throttling import NamedLimitThrottling, RateThrottle
from social.api import page_size, paginated, valid, viewer
from social.chat import selectors, services
from social.chat.models import Conversation, Membership
from social.chat.serializers import (
    ConversationOutput,
    DirectInput,
    EditInput,
    GroupInput,
    HistoryOutput,
    MembersInput,
    MessageInput,
    MessageOutput,
    MessageReportInput,
    MuteInput,
    ReactionInput,
    ReadInput,
    RenameInput,
    SettingsSerializer,
    UnreadOutput,
    conversation_dict,
    message_dict,
)


def _conversation_out(conversation: Conversation, request: Request) -> dict[str, Any]:
    user = viewer(request)
    assert user is not None
    row = selectors.my_conversations(user_id=user.id).filter(conversation=conversation).first()
    if row is None:  # staff on a support conversation they have not answered yet
        row = Membership(conversation=conversation, user_id=user.id, role="")
        row.unread_count = 0  # type: ignore[attr-defined]
    return conversation_dict(row)


def _message_out(message: Any, request: Request) -> dict[str, Any]:
    fresh = selectors.messages_of(conversation=message.conversation).get(id=message.id)
    return message_dict(fresh, viewer_id=request.user.id)


def _sent_message_out(message: Any, request: Request) -> dict[str, Any]:
    """A message just sent, as `send_message` returned it (its author set): nothing is read
    again, and it has no reactions yet."""
    return message_dict(message, viewer_id=request.user.id, reactions=())


def _uuid_param(request: Request, name: str) -> UUID | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return UUID(str(raw))
    except ValueError as exc:
        raise ServiceError.for_field(name, gettext("Not a message id (a UUID).")) from exc


# Two characters at least once trimmed, and at most 100.
SEARCH_TEXT = {"type": "string", "minLength": 2, "maxLength": 100, "pattern": r"\S[\s\S]*\S"}
NOT_A_GROUP = error_response("Only a group allows this (`not_a_group`)")


class ChatMessageThrottle(RateThrottle):
    """Messages one person sends, whatever the conversation."""

    scope = "social_chat_message"
    rate_setting = "SOCIAL_CHAT_MESSAGE_RATE"
    message_template = gettext_lazy("Too many messages: at most %(limit)s.")

    def identity(self, request: Request) -> str | None:
        user = viewer(request)
        return str(user.id) if user is not None else None


class ConversationsApi(APIView):
    @extend_schema(
        responses=ConversationOutput(many=True),
        summary="My conversations, the most recently active first",
    )
    def get(self, request: SignedInRequest) -> Response:
        rows = selectors.my_conversations(user_id=request.user.id)
        return paginated(self, request, rows, ConversationOutput, ordering="-activity")


class DirectApi(APIView):
    @extend_schema(
        request=DirectInput,
        responses={
            200: ConversationOutput,
            201: ConversationOutput,
            404: error_response("No person with this id (`not_found`, naming `user_id`)"),
        },
        summary="Start (or get) my direct conversation with a person",
    )
    def post(self, request: SignedInRequest) -> Response:
        data = valid(DirectInput, request.data)
        conversation, created = services.start_direct(
            actor_id=request.user.id, user_id=data["user_id"]
        )
        return Response(
            _conversation_out(conversation, request),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class GroupsApi(APIView):
    @extend_schema(request=GroupInput, responses={201: ConversationOutput}, summary="New group")
    def post(self, request: SignedInRequest) -> Response:
        data = valid(GroupInput, request.data)
        conversation = services.create_group(actor_id=request.user.id, **data)
        return Response(_conversation_out(conversation, request), status=status.HTTP_201_CREATED)


class SupportApi(APIView):
    @extend_schema(
        request=None,
        responses=ConversationOutput,
        summary="My conversation with the staff team (made on first use)",
    )
    def post(self, request: SignedInRequest) -> Response:
        conversation = services.support_conversation(actor_id=request.user.id)
        return Response(_conversation_out(conversation, request))


class SupportQueueApi(APIView):
    @extend_schema(
        responses=ConversationOutput(many=True),
        summary="Every support conversation (moderators and admins)",
    )
    def get(self, request: SignedInRequest) -> Response:
        if not can_moderate(request.user):
            raise Forbidden(gettext("Only moderators and admins may do this."), code="not_staff")
        return paginated(
            self, request, selectors.support_queue(), SupportRowOutput, ordering="-activity_id"
        )


class SupportRowOutput(ConversationOutput):
    """A support conversation as staff see it in the queue (no membership of their own)."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        row = Membership(conversation=instance, role="")
        row.unread_count = 0  # type: ignore[attr-defined]
        return {**conversation_dict(row), "peer": None, "created_by": str(instance.created_by_id)}


class UnreadApi(APIView):
    @extend_schema(responses=UnreadOutput, summary="My unread messages (muted ones not counted)")
    def get(self, request: SignedInRequest) -> Response:
        return Response({"unread_count": selectors.total_unread(user_id=request.user.id)})


class SettingsApi(APIView):
    @extend_schema(responses=SettingsSerializer, summary="Who may message me")
    def get(self, request: SignedInRequest) -> Response:
        return Response({"who_may_message": selectors.chat_settings(user_id=request.user.id)})

    @extend_schema(request=SettingsSerializer, responses=SettingsSerializer, summary="Set it")
    def put(self, request: SignedInRequest) -> Response:
        data = valid(SettingsSerializer, request.data)
        value = services.set_chat_settings(user_id=request.user.id, **data)
        return Response({"who_may_message": value})


class SearchApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", SEARCH_TEXT, required=True, description="2 to 100 characters, trimmed"
            )
        ],
        responses=MessageOutput(many=True),
        summary="Search the messages of my conversations",
    )
    def get(self, request: SignedInRequest) -> Response:
        query = (request.query_params.get("q") or "").strip()
        if not 2 <= len(query) <= 100:
            raise ServiceError.for_field("q", gettext("2 to 100 characters."))
        rows = selectors.search_messages(
            user_id=request.user.id, query=query, vendor=connection.vendor
        )
        return paginated(self, request, rows, MessageOutput, context={"viewer_id": request.user.id})


class ConversationApi(APIView):
    @extend_schema(responses=ConversationOutput, summary="A conversation of mine")
    def get(self, request: SignedInRequest, conversation_id: UUID) -> Response:
        conversation, _m = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        return Response(_conversation_out(conversation, request))

    @extend_schema(request=RenameInput, responses=ConversationOutput, summary="Rename a group")
    def patch(self, request: SignedInRequest, conversation_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        data = valid(RenameInput, request.data)
        services.rename_group(conversation=conversation, membership=membership, **data)
        return Response(_conversation_out(conversation, request))


class MembersApi(APIView):
    @extend_schema(request=MembersInput, responses={204: None}, summary="Add people to a group")
    def post(self, request: SignedInRequest, conversation_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        data = valid(MembersInput, request.data)
        services.add_members(
            conversation=conversation, membership=membership, user_ids=data["user_ids"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberApi(APIView):
    @extend_schema(
        responses={204: None, 400: NOT_A_GROUP}, summary="Remove a member (group admins)"
    )
    def delete(self, request: SignedInRequest, conversation_id: UUID, user_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        services.remove_member(conversation=conversation, membership=membership, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminsApi(APIView):
    @extend_schema(
        request=None, responses={204: None, 400: NOT_A_GROUP}, summary="Make a member an admin"
    )
    def put(self, request: SignedInRequest, conversation_id: UUID, user_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        services.make_admin(conversation=conversation, membership=membership, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeaveApi(APIView):
    @extend_schema(request=None, responses={204: None, 400: NOT_A_GROUP}, summary="Leave a group")
    def post(self, request: SignedInRequest, conversation_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        services.leave(conversation=conversation, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MuteApi(APIView):
    @extend_schema(request=MuteInput, responses=ConversationOutput, summary="Mute or unmute")
    def put(self, request: SignedInRequest, conversation_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        data = valid(MuteInput, request.data)
        services.set_muted(membership=membership, muted=data["muted"])
        return Response(_conversation_out(conversation, request))


class ReadApi(APIView):
    @extend_schema(request=ReadInput, responses=ConversationOutput, summary="Read up to a message")
    def post(self, request: SignedInRequest, conversation_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        data = valid(ReadInput, request.data)
        services.mark_read(
            conversation=conversation, membership=membership, message_id=data["message_id"]
        )
        return Response(_conversation_out(conversation, request))


class MessagesApi(NamedLimitThrottling, APIView):
    def get_throttles(self) -> list[Any]:
        # Only sending counts against the per-person rate.
        return [ChatMessageThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        parameters=[
            OpenApiParameter("before", UUID, description="the messages before this one"),
            OpenApiParameter("after", UUID, description="the messages after this one"),
            OpenApiParameter("around", UUID, description="the messages around this one"),
            OpenApiParameter("page_size", int),
        ],
        responses={
            200: HistoryOutput,
            400: error_response(
                "A cursor that is not a message id, or more than one of before, after and "
                "around (`one_cursor`, naming the second)"
            ),
        },
        summary="History, oldest first (the newest page without a cursor)",
        description="At most one of `before`, `after` and `around` (a 400 `one_cursor` "
        "otherwise); none gives the newest page.",
    )
    def get(self, request: SignedInRequest, conversation_id: UUID) -> Response:
        conversation, _m = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        cursors = {name: _uuid_param(request, name) for name in ("before", "after", "around")}
        given = [name for name, value in cursors.items() if value is not None]
        if len(given) > 1:
            raise ServiceError.for_field(
                given[1],
                gettext("Give at most one of before, after and around."),
                code="one_cursor",
            )
        page = selectors.history_page(
            conversation=conversation,
            viewer_id=request.user.id,
            size=page_size(request),
            **cursors,
        )
        return Response(page)

    @extend_schema(
        request=MessageInput,
        responses={201: MessageOutput},
        summary="Send",
        description="A message has text or at least one file: blank text without files is a "
        "400 `text_or_file` naming `text`.",
    )
    def post(self, request: SignedInRequest, conversation_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        data = valid(MessageInput, request.data)
        message = services.send_message(
            conversation=conversation, membership=membership, viewer=request.user, **data
        )
        return Response(_sent_message_out(message, request), status=status.HTTP_201_CREATED)


class MessageApi(APIView):
    @extend_schema(
        request=EditInput,
        responses={
            200: MessageOutput,
            409: error_response("The message was deleted (`message_deleted`)"),
        },
        summary="Edit my message",
        description="Blank text is a 400 `text_or_file` unless the message has files.",
    )
    def patch(self, request: SignedInRequest, conversation_id: UUID, message_id: UUID) -> Response:
        conversation, _m = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        data = valid(EditInput, request.data)
        message = services.edit_message(
            conversation=conversation, viewer=request.user, message_id=message_id, **data
        )
        return Response(_message_out(message, request))

    @extend_schema(responses={204: None}, summary="Delete a message for everyone")
    def delete(self, request: SignedInRequest, conversation_id: UUID, message_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        services.delete_message(
            conversation=conversation,
            membership=membership,
            viewer=request.user,
            message_id=message_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReactionApi(APIView):
    @extend_schema(
        request=ReactionInput,
        responses={204: None, 409: error_response("The message was deleted (`message_deleted`)")},
        summary="React (replaces mine)",
    )
    def put(self, request: SignedInRequest, conversation_id: UUID, message_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        data = valid(ReactionInput, request.data)
        services.react(
            conversation=conversation,
            membership=membership,
            message_id=message_id,
            emoji=data["emoji"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={204: None, 409: error_response("The message was deleted (`message_deleted`)")},
        summary="Take my reaction back",
    )
    def delete(self, request: SignedInRequest, conversation_id: UUID, message_id: UUID) -> Response:
        conversation, membership = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        services.react(
            conversation=conversation, membership=membership, message_id=message_id, emoji=None
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportApi(APIView):
    @extend_schema(
        request=MessageReportInput,
        responses={
            201: None,
            409: error_response("Deleted (`message_deleted`), or already reported by me"),
        },
        summary="Report a message",
    )
    def post(self, request: SignedInRequest, conversation_id: UUID, message_id: UUID) -> Response:
        conversation, _m = selectors.conversation_for(
            conversation_id=conversation_id, viewer=viewer(request)
        )
        data = valid(MessageReportInput, request.data)
        report = services.report_message(
            conversation=conversation, viewer=request.user, message_id=message_id, **data
        )
        return Response({"report_id": str(report.id)}, status=status.HTTP_201_CREATED)
