"""The hand-written SQL of a page of the mentor search with a text query: the page in one
statement, beside its ORM twin (`selectors.search_mentors` ranked by `MENTOR_ORDER`).

Here because `bench/mentor_search.py` showed it pays (docs/decisions.md): the ORM's statement
joined every mentor the text and filters found (hundreds) to their user and page to check the
reader may see them, before ranking them and keeping 21. This one finds and ranks them on the
profile rows alone (the same `ts_rank`; the text and the filters in one condition of the vector's
GIN index, the filters as its lexemes, `selectors.mentor_filter_query`, the exact rating checked
on the rows), then checks the user and the page only for the best, in order, until the page is
full. PostgreSQL only (`enabled()`); SQLite,
the embedded default, runs the twin. `social/search/tests/test_mentor_hot_sql.py` runs both on
the same data and requires the same pages. Only the models' own quoted table and column names
are interpolated; every value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
from typing import Any

from django.db import connection

from cotask_common.statements import Columns
from cotask_common.users.models import UserRef
from social.mentors.hot_sql import MENTOR_BRIEF, PAGE_BRIEF, fields_of, instance, select_list
from social.mentors.models import MentorProfile
from social.pages.models import Page, PageBlock
from social.pages.selectors import Viewer, is_staff, viewer_id

# Switched off by the parity tests to run the ORM twin on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


@functools.cache
def _statement(
    *, staff: bool, signed_in: bool, filtered: bool, rating: bool, query_sql: str
) -> str:
    p, u, g = Columns(MentorProfile, "p"), Columns(UserRef, "u"), Columns(Page, "g")
    b = Columns(PageBlock)
    # The filters are lexemes of the vector (migration search.0003): one index scan (GIN
    # intersects both conditions' lexemes) answers the text, the subject, the language and
    # the rating's half star; the exact rating is checked on the rows it leaves. Two
    # conditions, not one query AND-ed: a text without lexemes then matches nothing, as in
    # the twin, where `'' && filters` would be the filters alone.
    found = [f"{p('withdrawn_at')} IS NULL", f"p.search_vector @@ ({query_sql})"]
    if filtered:
        found.append("p.search_vector @@ %s::tsquery")
    if rating:
        found.append(f"{p('reviews_count')} > 0 AND {p('average')} >= %s")
    # mentor_selectors.mentors' visibility, and never a banned mentor (search_mentors)
    visible = f"NOT {u('is_deleted')} AND NOT {u('is_banned')}"
    if not staff:
        seen = f"NOT {g('is_blocked')}"
        if signed_in:
            blocked = f"SELECT {b.name('page')} FROM {b.table} WHERE {b.name('user')} = %s"
            seen = f"(({seen} AND c.page_id NOT IN ({blocked})) OR c.user_id = %s)"
        visible = f"{visible} AND {seen}"
    page = ", ".join(
        f"{g(field.name)} AS g_{field.column}" for field in fields_of(Page, PAGE_BRIEF)
    )
    return f"""
    SELECT {select_list(MentorProfile, "m", MENTOR_BRIEF)}, {page}, c.relevance FROM (
        SELECT {p("id")} AS id, {p("user")} AS user_id, {p("page")} AS page_id, {p("rank")} AS rank,
               ts_rank(p.search_vector, ({query_sql})) AS relevance
        FROM {p.table} p
        WHERE {" AND ".join(found)}
        ORDER BY relevance DESC, rank DESC, id DESC
    ) c
    JOIN {u.table} u ON {u("id")} = c.user_id JOIN {g.table} g ON {g("id")} = c.page_id
    JOIN {p.table} m ON m.{p.name("id")} = c.id
    WHERE {visible}
    ORDER BY c.relevance DESC, c.rank DESC, c.id DESC
    LIMIT %s OFFSET %s
    """


def mentor_rows(
    *,
    query_sql: str,
    query_params: tuple[str, ...],
    filters: str | None,
    viewer: Viewer,
    min_rating: float | None,
    offset: int,
    limit: int,
) -> list[MentorProfile]:
    """The mentors at `offset`..`offset + limit` of the search's order (relevance, then the
    Bayesian rank, then id, each descending), each with its page and `relevance`: what the
    twin's slice holds. `query_sql` and `query_params`: the text query
    (`selectors.mentor_text_query`); `filters`: the filters as lexemes
    (`selectors.mentor_filter_query`), None without."""
    staff, user_id = is_staff(viewer), viewer_id(viewer)
    signed_in = user_id is not None and not staff
    params: list[Any] = [*query_params, *query_params]  # the rank's, then the match's
    if filters:
        params.append(filters)
    if min_rating:
        params.append(min_rating)
    if signed_in:
        params += [user_id, user_id]
    params += [limit, offset]
    sql = _statement(
        staff=staff,
        signed_in=signed_in,
        filtered=bool(filters),
        rating=bool(min_rating),
        query_sql=query_sql,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    own, pages = len(MENTOR_BRIEF), len(PAGE_BRIEF)
    found = []
    for row in rows:
        profile = instance(MentorProfile, row[:own], MENTOR_BRIEF)
        MentorProfile._meta.get_field("page").set_cached_value(
            profile, instance(Page, row[own : own + pages], PAGE_BRIEF)
        )
        profile.relevance = row[own + pages]
        found.append(profile)
    return found
