"""Thin views: parse, call a service or selector, serialize."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.errors import ServiceError
from cotask_common.security.requests import SignedInRequest
from notifications.inbox import selectors, services
from notifications.inbox.serializers import (
    NotificationListInput,
    NotificationOutput,
    PageSubscriptionInput,
    PageSubscriptionOutput,
    PreferencesInput,
    PreferencesOutput,
    ReadAllInput,
    ReadAllOutput,
    TicketOutput,
    UnreadCountOutput,
    UnsubscribeOutput,
)
from notifications.inbox.throttles import WsTicketThrottle
from notifications.inbox.types import TYPES
from notifications.realtime.selectors import claim_time
from notifications.realtime.texts import language_for_request, text


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Notifications as the list shows them, for the document's examples.
_LIKED = {
    "id": "0b6f4c1a-2d3e-4f5a-8b9c-1d2e3f4a5b6c",
    "cursor": 486,
    "type": "like",
    "actor": {"id": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", "name": "Grace Hopper"},
    "actor_count": 3,
    "target": {"service": "social", "kind": "post", "id": "7a4f2d8e-5b1c-4e9a-8d3f-2c6b0e1a9f47"},
    "text": "Grace Hopper and 2 others liked your post.",
    "language": "en",
    "data": {"post_id": "7a4f2d8e-5b1c-4e9a-8d3f-2c6b0e1a9f47"},
    "read": False,
    "read_at": None,
    "created_at": "2026-12-05T09:30:00Z",
    "updated_at": "2026-12-05T09:42:00Z",
}
_FOLLOWED = {
    **_LIKED,
    "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "cursor": 485,
    "type": "follower",
    "actor_count": 1,
    "target": {"service": "social", "kind": "page", "id": "1d6b6c1e-8f0a-4f4e-9c52-6a7e3f2b9d10"},
    "text": "Grace Hopper follows your page Ada writes.",
    "data": {"page_id": "1d6b6c1e-8f0a-4f4e-9c52-6a7e3f2b9d10"},
    "read": True,
    "read_at": "2026-12-05T09:35:00Z",
    "created_at": "2026-12-05T09:20:00Z",
    "updated_at": "2026-12-05T09:20:00Z",
}


class NotificationListApi(generics.ListAPIView):
    serializer_class = NotificationOutput
    request: SignedInRequest

    @property
    def paginator(self) -> Any:
        paginator = super().paginator
        # Newest state first: a regrouped notification moves up with its new sequence, which
        # is unique per recipient, so the cursor stays stable. A tuple, as the paginator keeps
        # it: this property runs again when the next link is built, and a bare string there
        # reads as the ordering "-", "s", ... (an error on every list longer than a page).
        if paginator is not None:
            paginator.ordering = ("-sequence",)
        return paginator

    def get_queryset(self) -> Any:
        params = _valid(NotificationListInput, self.request.query_params)
        return selectors.notifications_for(
            user_id=self.request.user.id, unread=params.get("unread"), type=params.get("type")
        )

    @extend_schema(
        summary="My notifications, newest first",
        parameters=[
            OpenApiParameter("unread", bool, description="true: unread only; false: read only"),
            OpenApiParameter("type", str, enum=sorted(TYPES)),
        ],
        examples=[
            # (One row: drf-spectacular shows it in a page of the list.)
            OpenApiExample("Grouped likes of a post", value=_LIKED, response_only=True),
            OpenApiExample("A new follower", value=_FOLLOWED, response_only=True),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class UnreadCountApi(APIView):
    @extend_schema(summary="How many of my notifications are unread", responses=UnreadCountOutput)
    def get(self, request: SignedInRequest) -> Response:
        return Response(
            {
                "unread": selectors.unread_count(user_id=request.user.id),
                "cursor": selectors.current_cursor(user_id=request.user.id),
            }
        )


class NotificationReadApi(APIView):
    @extend_schema(summary="Mark a notification read", request=None, responses=NotificationOutput)
    def post(self, request: SignedInRequest, notification_id: UUID) -> Response:
        notification = services.mark_read(user_id=request.user.id, notification_id=notification_id)
        return Response(NotificationOutput(notification).data)


class NotificationDetailApi(APIView):
    @extend_schema(
        summary="Delete one of my notifications",
        responses={204: None, 404: OpenApiResponse(description="Not yours or gone")},
    )
    def delete(self, request: SignedInRequest, notification_id: UUID) -> Response:
        services.delete_notification(user_id=request.user.id, notification_id=notification_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadAllApi(APIView):
    @extend_schema(
        summary="Mark all my notifications read", request=ReadAllInput, responses=ReadAllOutput
    )
    def post(self, request: SignedInRequest) -> Response:
        params = _valid(ReadAllInput, request.data)
        marked = services.mark_all_read(
            user_id=request.user.id, up_to_sequence=params.get("up_to_cursor")
        )
        return Response({"marked": marked})


class PreferencesApi(APIView):
    @extend_schema(summary="My notification preferences", responses=PreferencesOutput)
    def get(self, request: SignedInRequest) -> Response:
        return Response(selectors.preferences_for(user_id=request.user.id))

    @extend_schema(
        summary="Change my notification preferences",
        request=PreferencesInput,
        responses=PreferencesOutput,
    )
    def patch(self, request: SignedInRequest) -> Response:
        params = _valid(PreferencesInput, request.data)
        services.update_preferences(
            user_id=request.user.id,
            types=params.get("types"),
            email_frequency=params.get("email_frequency"),
            chat_email_delay_minutes=params.get("chat_email_delay_minutes"),
        )
        return Response(selectors.preferences_for(user_id=request.user.id))


@extend_schema_view(get=extend_schema(summary="Pages whose posts I am notified of"))
class PageSubscriptionListApi(generics.ListAPIView):
    serializer_class = PageSubscriptionOutput
    request: SignedInRequest

    def get_queryset(self) -> Any:
        return selectors.page_subscriptions_for(user_id=self.request.user.id)


class PageSubscriptionApi(APIView):
    @extend_schema(
        summary="Be notified of a page's posts",
        request=PageSubscriptionInput,
        responses=PageSubscriptionOutput,
    )
    def put(self, request: SignedInRequest, page_id: UUID) -> Response:
        params = _valid(PageSubscriptionInput, request.data)
        subscription = services.subscribe_page(
            user_id=request.user.id, page_id=page_id, page_name=params["page_name"]
        )
        return Response(PageSubscriptionOutput(subscription).data)

    @extend_schema(summary="Stop being notified of a page's posts", responses={204: None})
    def delete(self, request: SignedInRequest, page_id: UUID) -> Response:
        services.unsubscribe_page(user_id=request.user.id, page_id=page_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketApi(APIView):
    throttle_classes = [WsTicketThrottle]

    def throttled(self, request: Request, wait: float | None) -> None:
        throttle = WsTicketThrottle()
        language = language_for_request(request, request.user.id)
        if throttle.duration == 60:
            rate = text("per_minute", language=language, count=throttle.num_requests)
        else:
            rate = text(
                "per_period",
                language=language,
                count=throttle.num_requests,
                seconds=throttle.duration,
            )
        wait_seconds = max(1, math.ceil(wait or 0))
        message = text("ticket_throttled", language=language, rate=rate, wait=wait_seconds)
        raise Throttled(wait=wait_seconds, detail=message, code="throttled")

    @extend_schema(
        summary="A short-lived ticket to open the live socket",
        request=None,
        responses={201: TicketOutput, 429: OpenApiResponse(description="Too many tickets.")},
    )
    def post(self, request: SignedInRequest) -> Response:
        claims = request.auth if isinstance(request.auth, dict) else {}
        ticket, expires_in = services.issue_ws_ticket(
            user_id=request.user.id,
            username=request.user.username,
            role=request.user.role,
            session_id=request.user.session_id,
            access_expires_at=claim_time(claims.get("exp")),
            token_issued_at=claim_time(claims.get("iat"), whole_second=True),
            language=language_for_request(request, request.user.id),
            token_language=str(claims.get("lang") or ""),
        )
        return Response(
            {"ticket": ticket, "expires_in": expires_in},
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class UnsubscribeApi(APIView):
    """The link in every email; works without login. GET shows a confirmation form (mail
    scanners prefetch links, so GET changes nothing); POST (the form, or RFC 8058 one-click)
    switches the emails off."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The unsubscribe confirmation page (from an email's link)",
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={(200, "text/html"): str},
    )
    def get(self, request: Request) -> HttpResponse:
        token = request.query_params.get("token", "")
        services.read_unsubscribe_token(token=token)  # a bad link says so now
        html = (
            "<!doctype html><meta charset=utf-8><title>CoTask</title>"
            f'<form method=post><input type=hidden name=token value="{escape(token)}">'
            "<button>Unsubscribe / Отписаться / Відписатися</button></form>"
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    @extend_schema(
        summary="Switch emails off with the token from an email's link",
        parameters=[OpenApiParameter("token", str, required=False)],
        request=None,
        responses=UnsubscribeOutput,
    )
    def post(self, request: Request) -> Response:
        token = request.query_params.get("token") or request.data.get("token") or ""
        if not token:
            raise ServiceError.for_field(
                "token", gettext("This field is required."), code="required"
            )
        _, type = services.unsubscribe(token=str(token))
        return Response({"unsubscribed": type})


unsubscribe_view = csrf_exempt(UnsubscribeApi.as_view())
