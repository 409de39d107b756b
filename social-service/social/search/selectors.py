"""Search for pages (name, handle, uuid, tag) and users (username, display name).

PostgreSQL: full-text rank over name and description plus trigram similarity over handle and
name (pg_trgm lives in the `public` schema, outside the service's search_path, hence the
qualified function names). SQLite (embedded default): case-insensitive containment, ranked by
exact > prefix > contains.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import Case, F, FloatField, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest, Lower

from cotask_common.users.models import UserRef
from social.pages.models import Page, PageBlock, PageTag
from social.pages.selectors import Viewer, is_staff, viewer_id

MIN_SIMILARITY = 0.2


class Similarity(Func):
    function = "public.similarity"
    output_field = FloatField()


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def _pages_visible(viewer: Viewer) -> QuerySet[Page]:
    pages = Page.objects.select_related("owner")
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
        pages = pages.annotate(
            fts=SearchRank(vector, search),
            sim=Greatest(
                Similarity(F("handle_key"), Value(handle)),
                Similarity(Lower("name"), Value(query.lower())),
            ),
        ).filter(Q(fts__gt=0) | Q(sim__gte=MIN_SIMILARITY) | by_tag | by_id)
        return pages.annotate(
            rank=Case(
                When(handle_key=handle, then=Value(10.0)),
                default=Value(0.0),
                output_field=FloatField(),
            )
            + F("fts")
            + F("sim")
            + Case(When(by_tag, then=Value(0.5)), default=Value(0.0), output_field=FloatField())
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
        sim = Greatest(
            Similarity(Lower("username"), Value(query.lower())),
            Similarity(Lower("display_name"), Value(query.lower())),
        )
        return users.annotate(rank=sim).filter(
            Q(rank__gte=MIN_SIMILARITY)
            | Q(username__icontains=query)
            | Q(display_name__icontains=query)
        )
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
