"""Search for pages (name, handle, uuid, tag) and users (username, display name).

PostgreSQL: full-text rank over name and description plus trigram similarity over handle and
name (pg_trgm lives in the `public` schema, outside the service's search_path, hence the
qualified function and operator names). Which rows match is decided only by conditions an index
answers (migration `search.0001_search_indexes`), OR-ed so the planner combines the indexes
(BitmapOr) instead of reading every page or user:
- pages: `to_tsvector('simple', name || ' ' || description) @@ plainto_tsquery(...)` (GIN),
  `handle_key` and `lower(name)` similar (`%`, pg_trgm's `similarity_threshold`, 0.3) or
  containing the query (`LIKE`; both GIN trigram), `tags @> [tag]` (GIN over the JSON list);
- users: `lower(username)` and `lower(display_name)` similar or containing (GIN trigram).
The rank (full-text rank and similarity) is computed only for the rows found. The index
expressions in the migration must stay exactly these expressions.

SQLite (embedded default): case-insensitive containment, ranked by exact > prefix > contains.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest, Lower

from cotask_common.users.models import UserRef
from social.pages.models import Page, PageBlock, PageTag
from social.pages.selectors import Viewer, is_staff, viewer_id

MIN_SIMILARITY = 0.2


class Similarity(Func):
    function = "public.similarity"
    output_field = FloatField()


class TrigramSimilar(Func):
    """`a % b` (pg_trgm), answered by a GIN trigram index on `a`."""

    arg_joiner = " OPERATOR(public.%%) "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class Contains(Func):
    """`a LIKE '%b%'` for a lower-cased `a` and query, answered by a GIN trigram index on `a`."""

    template = "(%(expressions)s)"
    arg_joiner = " LIKE "
    output_field = BooleanField()


class PageDocument(Func):
    """The indexed full-text document of a page (see the migration)."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    arg_joiner = " || ' ' || "


class PlainQuery(Func):
    template = "plainto_tsquery('simple'::regconfig, %(expressions)s)"


class Matches(Func):
    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def _pages_visible(viewer: Viewer) -> QuerySet[Page]:
    # The owners of the page of results only (one query by primary key), not a join the planner
    # may answer by reading every UserRef before the ranking and the limit.
    pages = Page.objects.prefetch_related("owner")
    if is_staff(viewer):
        return pages
    user_id = viewer_id(viewer)
    visible = Q(is_blocked=False)
    if user_id:
        visible = (
            visible & ~Q(id__in=PageBlock.objects.filter(user_id=user_id).values("page_id"))
        ) | Q(owner_id=user_id)
    return pages.filter(visible)


def search_pages(*, query: str, viewer: Viewer) -> QuerySet[Page]:
    query = query.strip()
    tag = query.lstrip("#").lower()
    by_tag = Q(id__in=PageTag.objects.filter(tag=tag).values("page_id"))
    pages = _pages_visible(viewer)
    try:
        page_id = uuid.UUID(query)
    except ValueError:
        by_id = Q(pk__in=[])
    else:  # a uuid finds that page and nothing else
        return pages.filter(id=page_id).annotate(rank=Value(1.0, output_field=FloatField()))
    handle = query.lstrip("@").lower()
    if _on_postgres():
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("name", weight="A", config="simple") + SearchVector(
            "description", weight="B", config="simple"
        )
        search = SearchQuery(query, config="simple", search_type="plain")
        name = Lower("name")
        found = (
            Q(Matches(PageDocument(F("name"), F("description")), PlainQuery(Value(query))))
            | Q(TrigramSimilar(F("handle_key"), Value(handle)))
            | Q(TrigramSimilar(name, Value(query.lower())))
            | Q(Contains(F("handle_key"), Value(_like_pattern(handle))))
            | Q(Contains(name, Value(_like_pattern(query.lower()))))
            | Q(tags__contains=[tag])
        )
        pages = pages.filter(found).annotate(
            fts=SearchRank(vector, search),
            sim=Greatest(
                Similarity(F("handle_key"), Value(handle)),
                Similarity(Lower("name"), Value(query.lower())),
            ),
        )
        return pages.annotate(
            rank=Case(
                When(handle_key=handle, then=Value(10.0)),
                default=Value(0.0),
                output_field=FloatField(),
            )
            + F("fts")
            + F("sim")
            + Case(
                When(tags__contains=[tag], then=Value(0.5)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        )
    match = Q(handle_key__icontains=handle) | Q(name__icontains=query)
    return pages.filter(match | by_tag | by_id).annotate(
        rank=Case(
            When(handle_key=handle, then=Value(3)),
            When(Q(handle_key__startswith=handle) | Q(name__istartswith=query), then=Value(2)),
            When(match, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def search_users(*, query: str, viewer: Viewer) -> QuerySet[UserRef]:
    query = query.strip().lstrip("@")
    users = UserRef.objects.filter(is_banned=False, is_deleted=False)
    if _on_postgres():
        lowered, pattern = query.lower(), _like_pattern(query.lower())
        username, display_name = Lower("username"), Lower("display_name")
        found = (
            Q(TrigramSimilar(username, Value(lowered)))
            | Q(TrigramSimilar(display_name, Value(lowered)))
            | Q(Contains(username, Value(pattern)))
            | Q(Contains(display_name, Value(pattern)))
        )
        sim = Greatest(
            Similarity(username, Value(lowered)), Similarity(display_name, Value(lowered))
        )
        return users.filter(found).annotate(rank=sim)
    match = Q(username__icontains=query) | Q(display_name__icontains=query)
    return users.filter(match).annotate(
        rank=Case(
            When(username__iexact=query, then=Value(3)),
            When(
                Q(username__istartswith=query) | Q(display_name__istartswith=query), then=Value(2)
            ),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def ranked(rows: QuerySet[Any], *, offset: int, limit: int) -> list[Any]:
    return list(rows.order_by("-rank", "id")[offset : offset + limit])
