"""Thin views for calendar feeds: manage mine (signed in), and the `.ics` itself (no login:
the secret in the address is the permission)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import error_response
from cotask_common.pagination import CursorPagination
from cotask_common.security.requests import SignedInRequest
from cotask_common.throttling import NamedLimitThrottling
from tasks.calendar import alarms, ical, selectors, services
from tasks.calendar.models import CalendarFeed, FeedKind
from tasks.calendar.serializers import FeedInput, FeedOutput, NewFeedOutput
from tasks.calendar.throttles import FeedFetchThrottle
from tasks.planning.apis import actor_of


def _feed_urls(request: Request, token: str) -> dict[str, str]:
    path = reverse("calendar-ics", kwargs={"token": token})
    base = settings.TASKS_CALENDAR_PUBLIC_URL
    url = f"{base}{path}" if base else request.build_absolute_uri(path)
    return {"url": url, "webcal_url": "webcal://" + url.split("://", 1)[-1]}


def _new_feed_out(request: Request, feed: CalendarFeed, token: str) -> dict[str, Any]:
    return {**FeedOutput(feed).data, **_feed_urls(request, token)}


class FeedsApi(APIView):
    @extend_schema(responses=FeedOutput(many=True), summary="My calendar feeds (no addresses)")
    def get(self, request: SignedInRequest) -> Response:
        paginator = CursorPagination()
        page = paginator.paginate_queryset(
            selectors.my_feeds(user=actor_of(request)), request, self
        )
        return paginator.get_paginated_response(FeedOutput(page, many=True).data)

    @extend_schema(
        request=FeedInput,
        responses={
            201: NewFeedOutput,
            404: error_response("No room of mine with this `room_id` (`room_not_found`)"),
            409: error_response("The most feeds one person may have (`too_many_calendar_feeds`)"),
        },
        summary="A new calendar feed: my tasks, or a room's (the address is shown only now)",
    )
    def post(self, request: SignedInRequest) -> Response:
        data = FeedInput(data=request.data)
        data.is_valid(raise_exception=True)
        feed, token = services.create_feed(
            user=actor_of(request), room_id=data.validated_data.get("room_id")
        )
        return Response(_new_feed_out(request, feed, token), status=status.HTTP_201_CREATED)


class FeedDetailApi(APIView):
    @extend_schema(responses={204: None}, summary="Revoke my calendar feed (its address: 404)")
    def delete(self, request: SignedInRequest, feed_id: str) -> Response:
        services.revoke_feed(user=actor_of(request), feed_id=feed_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedRotateApi(APIView):
    @extend_schema(
        request=None,
        responses=NewFeedOutput,
        summary="A new address for my calendar feed; the old one stops working",
    )
    def post(self, request: SignedInRequest, feed_id: str) -> Response:
        feed, token = services.rotate_feed(user=actor_of(request), feed_id=feed_id)
        return Response(_new_feed_out(request, feed, token))


class FeedIcsApi(NamedLimitThrottling, APIView):
    """The feed calendar apps subscribe to. Unknown, revoked and rotated addresses, a room feed
    whose owner left the room, and a banned owner's feeds all get the same 404."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [FeedFetchThrottle]

    @extend_schema(
        auth=[],
        responses={
            (200, "text/calendar"): OpenApiResponse(description="iCalendar (RFC 5545)"),
            304: None,
            404: None,
        },
        summary="A calendar feed (iCalendar), by its secret address",
        operation_id="calendar_feed_ics",
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        feed = selectors.feed_for_token(token=token)
        if feed is None:
            raise services.address_not_found()
        tasks = selectors.feed_tasks(feed=feed)
        owner = feed.owner
        if feed.kind == FeedKind.ROOM and feed.room is not None:
            name = feed.room.name
        else:
            name = owner.display_name or owner.username
        body = ical.render_feed(
            name=f"CoTask: {name}",
            zone_name=owner.time_zone,
            tasks=tasks,
            reminders=alarms.reminders_for(task_ids=[t.id for t in tasks], user_id=owner.id),
        )
        services.note_fetched(feed=feed)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {
            "ETag": etag,
            # Calendar apps ask again with If-None-Match; nothing shared may keep a copy.
            "Cache-Control": "private, no-cache",
        }
        if etag in _etags(request.headers.get("If-None-Match", "")):
            response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
            response["Content-Disposition"] = 'inline; filename="cotask.ics"'
        for header, value in headers.items():
            response[header] = value
        return response


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}
