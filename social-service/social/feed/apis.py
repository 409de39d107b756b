"""The home feed: `?cursor=` (opaque) and `?page_size=` (1 to 100)."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import urlencode

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from cotask_common.errors import ServiceError
from cotask_common.security.requests import SignedInRequest
from social.feed import selectors
from social.feed.cards import render
from social.posts.serializers import PostOutput

MAX_PAGE_SIZE = 100


def _encode(post_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(post_id.bytes).decode().rstrip("=")


def _decode(cursor: str) -> uuid.UUID:
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise ServiceError.for_field("cursor", "Invalid cursor.", code="invalid_cursor") from exc


def _page_size(request: Request) -> int:
    raw = request.query_params.get("page_size", "20")
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ServiceError.for_field(
            "page_size", f"A number from 1 to {MAX_PAGE_SIZE}, got {raw!r}."
        )
    return size


class HomeFeedApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="from `next`"),
            OpenApiParameter("page_size", int, description="1 to 100, default 20"),
        ],
        responses=inline_serializer(
            "HomeFeed",
            {
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
                "results": PostOutput(many=True),
            },
        ),
        summary="Home feed: my pages and the pages I follow, newest first",
    )
    def get(self, request: SignedInRequest) -> HttpResponse:
        raw = request.query_params.get("cursor")
        before = _decode(raw) if raw else None
        size = _page_size(request)
        cards, next_before = selectors.home_feed(viewer=request.user, before=before, limit=size)
        next_url = None
        if next_before is not None:
            query = urlencode({"cursor": _encode(next_before), "page_size": size})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        # The posts arrive as JSON already (cards.py): the body is assembled, not serialized.
        liked = selectors.liked_among(viewer=request.user, cards=cards)
        body = f'{{"next":{json.dumps(next_url)},"previous":null,"results":{render(cards, liked)}}}'
        return HttpResponse(body.encode(), content_type="application/json")
