"""One search endpoint: `?q=` and `?type=pages|users|posts|mentors|tags`, the mentor filters
(`subject`, `min_rating`, `language`), ranked, paginated by an opaque cursor; and the "for you"
feed of recommended posts and mentors (for_you.py)."""

from __future__ import annotations

import uuid
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
from cotask_common.security.requests import SignedInRequest
from cotask_common.throttling import AnonymousRateThrottle, NamedLimitThrottling
from social.api import UserBrief, decode_cursor, encode_cursor, page_size, viewer
from social.mentors.serializers import MentorOutput
from social.mentors.services import LANGUAGE_CODES
from social.mentors.subjects import SUBJECTS
from social.pages.serializers import PageOutput
from social.posts.serializers import PostOutput
from social.search import for_you, selectors

QUERY_MIN, QUERY_MAX = 2, 100
MAX_OFFSET = 1000
KINDS = ("pages", "users", "posts", "mentors", "tags")
MENTOR_FILTERS = ("subject", "min_rating", "language")


class TagOutput(serializers.Serializer):
    tag = serializers.CharField()
    posts = serializers.IntegerField(help_text="Posts you may read that carry the tag")


def _mentor_filters(params: Any) -> dict[str, Any]:
    """The mentor filters given (a 400 naming the one that is wrong)."""
    found: dict[str, Any] = {}
    subject = params.get("subject", "").strip().lower()
    if subject:
        if subject not in SUBJECTS:
            raise ServiceError.for_field(
                "subject",
                gettext("Unknown subject %(code)s: see GET /api/social/mentors/subjects/.")
                % {"code": repr(subject)},
                code="unknown",
            )
        found["subject"] = subject
    raw = params.get("min_rating")
    if raw is not None:  # a number given empty is a value (a 400), not the filter left out
        raw = raw.strip()
        try:
            rating = float(raw)
        except ValueError:
            rating = -1.0
        if not 0 <= rating <= 5:  # also refuses nan
            raise ServiceError.for_field(
                "min_rating", gettext("A number from 0 to 5, got %(raw)s.") % {"raw": repr(raw)}
            )
        found["min_rating"] = rating
    language = params.get("language", "").strip().lower()
    if language:
        if language not in LANGUAGE_CODES:
            raise ServiceError.for_field(
                "language",
                gettext("Unknown language %(code)s: use a two-letter ISO 639-1 code, e.g. uk.")
                % {"code": repr(language)},
                code="unknown",
            )
        found["language"] = language
    return found


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
                    "maxLength": QUERY_MAX,
                    # empty, or two characters at least once trimmed
                    "pattern": r"^(\s*|\s*\S[\s\S]*\S\s*)$",
                },
                description=(
                    "2 to 100 characters, trimmed; may be left out (or blank) only for mentors "
                    "when a mentor filter is given, otherwise a 400 `query_needed` naming q"
                ),
            ),
            OpenApiParameter(
                "type",
                str,
                enum=list(KINDS),
                description="default pages, or mentors when a mentor filter is given",
            ),
            OpenApiParameter(
                "subject",
                str,
                description="Mentors: a subject code. A mentor filter with another `type` is a "
                "400 `mentors_only` naming the filter.",
            ),
            OpenApiParameter(
                "min_rating",
                {"type": "number", "minimum": 0, "maximum": 5},
                description="Mentors: lowest average, 0 to 5",
            ),
            OpenApiParameter("language", str, description="Mentors: an ISO 639-1 code"),
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
        summary="Find pages, users, posts, mentors (full text in en/ru/uk, with filters) or tags",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        filters = _mentor_filters(params)
        # One of some names given empty is a value (a 400), not the parameter left out.
        kind = params.get("type", "mentors" if filters else "pages")
        if kind not in KINDS:
            raise ServiceError.for_field(
                "type",
                gettext("Must be one of %(kinds)s, got %(kind)s.")
                % {"kinds": ", ".join(KINDS), "kind": repr(kind)},
            )
        if filters and kind != "mentors":
            field = next(iter(filters))
            raise ServiceError.for_field(
                field,
                gettext("Filters mentors only: search with type=mentors."),
                code="mentors_only",  # a rule across parameters, stated in the document
            )
        query = params.get("q", "").strip()
        if (query or not filters) and not QUERY_MIN <= len(query) <= QUERY_MAX:
            raise ServiceError.for_field(
                "q",
                ngettext(
                    "From %(least)s to %(most)s character, got %(count)s.",
                    "From %(least)s to %(most)s characters, got %(count)s.",
                    QUERY_MAX,
                )
                % {"least": QUERY_MIN, "most": QUERY_MAX, "count": len(query)},
                # No text and no filter breaks a rule across parameters (the document says it).
                code="invalid" if query else "query_needed",
            )
        size = page_size(request)
        offset = _offset(params.get("cursor"))
        who = viewer(request)
        ordering: tuple[str, ...] = ("-rank", "id")
        context: dict[str, Any] = {"request": request}
        rows: QuerySet[Any]
        serializer: type[serializers.Serializer]
        if kind == "pages":
            rows, serializer = selectors.search_pages(query=query, viewer=who), PageOutput
        elif kind == "users":
            rows, serializer = selectors.search_users(query=query, viewer=who), UserBrief
        elif kind == "posts":
            rows, serializer = selectors.search_posts(query=query, viewer=who), PostOutput
            ordering = ("-rank", "-id")
        elif kind == "mentors":
            serializer = MentorOutput
        else:
            rows, serializer = selectors.search_tags(query=query, viewer=who), TagOutput
            ordering = selectors.TAG_ORDER
        if kind == "mentors":
            found = selectors.mentor_page(
                query=query, viewer=who, offset=offset, limit=size + 1, **filters
            )
        else:
            found = selectors.ranked(rows, offset=offset, limit=size + 1, ordering=ordering)

        def link(at: int) -> str:
            kept = {name: params[name] for name in ("q", *MENTOR_FILTERS) if params.get(name)}
            query_string = urlencode(
                {
                    **kept,
                    "type": kind,
                    "page_size": size,
                    "cursor": encode_cursor(str(at).encode()),
                }
            )
            return request.build_absolute_uri(f"{request.path}?{query_string}")

        return Response(
            {
                "next": link(offset + size) if len(found) > size else None,
                "previous": link(max(offset - size, 0)) if offset else None,
                "results": serializer(found[:size], many=True, context=context).data,
            }
        )


class ForYouReasonOutput(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "followed_tag",
            "liked_tag",
            "popular_with_following",
            "matches_learning_request",
            "teaches_your_subject",
        ],
        help_text="Stable: never changes with the language",
    )
    text = serializers.CharField(help_text="In the reader's language")


class ForYouItemOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["post", "mentor"])
    post = PostOutput(required=False, help_text="When `kind` is `post`")
    mentor = MentorOutput(required=False, help_text="When `kind` is `mentor`")
    reasons = ForYouReasonOutput(many=True)


def _for_you_cursor(raw: str | None) -> tuple[float, str] | None:
    if not raw:
        return None

    def parse(data: bytes) -> tuple[float, str]:
        score, _, item_id = data.decode().partition("|")
        return float(score), str(uuid.UUID(item_id))

    return decode_cursor(raw, parse)


class ForYouApi(APIView):
    """Recommended posts and mentors, each with why: tags of the pages you follow and of the
    posts you liked, posts liked by the people you follow, mentors matching your open learning
    requests or teaching a subject you follow. Never your own posts, posts you liked, pages you
    follow already (the home feed has them), nor anything you may not read."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "kind", str, enum=list(for_you.KINDS), description="default both posts and mentors"
            ),
            OpenApiParameter("cursor", str, description="from `next`"),
            OpenApiParameter("page_size", int, description="1 to 100, default 20"),
        ],
        responses=inline_serializer(
            "ForYouFeed",
            {
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
                "results": ForYouItemOutput(many=True),
            },
        ),
        summary="For you: recommended posts and mentors, with the reasons",
    )
    def get(self, request: SignedInRequest) -> Response:
        params = request.query_params
        kind = params.get("kind") or None
        if kind is not None and kind not in for_you.KINDS:
            raise ServiceError.for_field(
                "kind",
                gettext("Must be one of %(kinds)s, got %(kind)s.")
                % {"kinds": ", ".join(for_you.KINDS), "kind": repr(kind)},
            )
        size = page_size(request)
        after = _for_you_cursor(params.get("cursor"))
        found, cursor = for_you.for_you(viewer=request.user, kind=kind, after=after, limit=size)
        context: dict[str, Any] = {"request": request}
        posts = PostOutput(
            [f.obj for f in found if f.kind == "post"], many=True, context=context
        ).data
        mentors = MentorOutput(
            [f.obj for f in found if f.kind == "mentor"], many=True, context=context
        ).data
        rendered = {"post": iter(posts), "mentor": iter(mentors)}
        results = [
            {"kind": f.kind, f.kind: next(rendered[f.kind]), "reasons": f.reasons} for f in found
        ]
        next_url = None
        if cursor is not None:
            kept = {"kind": kind} if kind else {}
            query = urlencode(
                {
                    **kept,
                    "page_size": size,
                    "cursor": encode_cursor(f"{cursor[0]!r}|{cursor[1]}".encode()),
                }
            )
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        return Response({"next": next_url, "previous": None, "results": results})
