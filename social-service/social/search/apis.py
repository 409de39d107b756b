"""One search endpoint: `?q=` and `?type=pages|users`, ranked, paginated by an opaque cursor."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.errors import ServiceError
from cotask_common.throttling import AnonymousRateThrottle, NamedLimitThrottling
from social.api import UserBrief, decode_cursor, encode_cursor, page_size, viewer
from social.pages.serializers import PageOutput
from social.search import selectors

QUERY_MIN, QUERY_MAX = 2, 100
MAX_OFFSET = 1000


def _offset(raw: str | None) -> int:
    if not raw:
        return 0
    value = decode_cursor(raw, lambda data: int(data.decode()))
    if not 0 <= value <= MAX_OFFSET:
        raise ServiceError.for_field(
            "cursor",
            ngettext(
                "Search goes at most %(limit)s result deep.",
                "Search goes at most %(limit)s results deep.",
                MAX_OFFSET,
            )
            % {"limit": MAX_OFFSET},
        )
    return value


class AnonymousSearchThrottle(AnonymousRateThrottle):
    scope = "social_search_anon"
    rate_setting = "SOCIAL_SEARCH_ANON_RATE"
    message_template = _(
        "Too many searches without signing in from your network address: at most %(limit)s."
    )


class SearchApi(NamedLimitThrottling, APIView):
    permission_classes = [AllowAny]
    # Anonymous search is open to scripts: limited per address (signed-in users are not).
    throttle_classes = [AnonymousSearchThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                {
                    "type": "string",
                    "minLength": QUERY_MIN,
                    "maxLength": QUERY_MAX,
                    "pattern": r"\S[\s\S]*\S",  # two characters at least once trimmed
                },
                required=True,
                description="2 to 100 characters, trimmed",
            ),
            OpenApiParameter("type", str, enum=["pages", "users"], description="default pages"),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses=inline_serializer(
            "SearchResults",
            {
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
                "results": serializers.ListField(child=serializers.DictField()),
            },
        ),
        summary="Find pages (name, handle, uuid, tag) or users (username, display name)",
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()
        if not QUERY_MIN <= len(query) <= QUERY_MAX:
            raise ServiceError.for_field(
                "q",
                ngettext(
                    "From %(least)s to %(most)s character, got %(count)s.",
                    "From %(least)s to %(most)s characters, got %(count)s.",
                    QUERY_MAX,
                )
                % {"least": QUERY_MIN, "most": QUERY_MAX, "count": len(query)},
            )
        kind = request.query_params.get("type", "pages")
        if kind not in ("pages", "users"):
            raise ServiceError.for_field(
                "type", gettext("Must be pages or users, got %(kind)s.") % {"kind": repr(kind)}
            )
        size = page_size(request)
        offset = _offset(request.query_params.get("cursor"))
        if kind == "pages":
            rows: QuerySet[Any] = selectors.search_pages(query=query, viewer=viewer(request))
            serializer: type[serializers.Serializer] = PageOutput
        else:
            rows = selectors.search_users(query=query, viewer=viewer(request))
            serializer = UserBrief
        found = selectors.ranked(rows, offset=offset, limit=size + 1)

        def link(at: int) -> str:
            params = urlencode(
                {
                    "q": query,
                    "type": kind,
                    "page_size": size,
                    "cursor": encode_cursor(str(at).encode()),
                }
            )
            return request.build_absolute_uri(f"{request.path}?{params}")

        return Response(
            {
                "next": link(offset + size) if len(found) > size else None,
                "previous": link(max(offset - size, 0)) if offset else None,
                "results": serializer(found[:size], many=True).data,
            }
        )
