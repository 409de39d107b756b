"""The home feed: `?cursor=` (opaque) and `?page_size=` (1 to 100)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.views import APIView

from cotask_common.security.requests import SignedInRequest
from social.api import decode_cursor, encode_cursor, page_size
from social.feed import selectors
from social.feed.cards import render
from social.posts.examples import POST
from social.posts.serializers import PostOutput


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
        examples=[
            OpenApiExample(
                "A feed page with a next one",
                value={
                    "next": "https://cotask.example/api/social/feed/?cursor=Cg7Bc2x0&page_size=20",
                    "previous": None,
                    "results": [POST],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: SignedInRequest) -> HttpResponse:
        raw = request.query_params.get("cursor")
        before = decode_cursor(raw, lambda value: uuid.UUID(bytes=value)) if raw else None
        size = page_size(request)
        cards, next_before = selectors.home_feed(viewer=request.user, before=before, limit=size)
        next_url = None
        if next_before is not None:
            query = urlencode({"cursor": encode_cursor(next_before.bytes), "page_size": size})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        # The posts arrive as JSON already (cards.py): the body is assembled, not serialized.
        liked = selectors.liked_among(viewer=request.user, cards=cards)
        results = render(cards, liked, request.build_absolute_uri)
        body = f'{{"next":{json.dumps(next_url)},"previous":null,"results":{results}}}'
        return HttpResponse(body.encode(), content_type="application/json")
