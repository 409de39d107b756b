"""The hand-written SQL of a request's first page of matches: the candidate window's ids in one
statement, beside its ORM twin (`selectors._candidates_orm`).

Here because `bench/social_learning_match.py` showed it pays (docs/decisions.md): the ORM's
window statement let PostgreSQL hash-join every profile and page (two seq scans of 100,000
rows) and hash every speaker of the language, and compiling it cost the page more CPU than
the rest. This statement reads, with the same bounds (`selectors._candidates`):
- the floors: the N-th best base of the subject's visible mentors (the `(code, -base_score)`
  index of the subject rows) and of its visible speakers (the `(subject, language,
  -base_score)` index of `MentorSubjectLanguage`), each a walk of about N rows;
- the speakers with `base >= low - 2`: one range of that index, scored from the row alone
  (its base and tags);
- the others with `base >= low`: a range of the subject index, without the speakers;
then the visibility checks only for the best of them, in score order, until N are found.
The score is the twin's expression over the same stored doubles, so the two orders agree to
the last bit. PostgreSQL only (`enabled()`); SQLite, the embedded default, runs the twin.
`social/mentors/tests/test_learning_match_window.py` runs both on the same data and requires
the same page. Only the models' own quoted table and column names are interpolated; every
value is a parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.db import connection
from django.db.models import DEFERRED

from cotask_common.statements import Columns
from cotask_common.users.models import UserRef
from social.mentors.models import (
    LearningOffer,
    LearningRequest,
    MentorLanguage,
    MentorProfile,
    MentorSubject,
    MentorSubjectLanguage,
)
from social.pages.models import Follow, Page, PageBlock
from social.pages.selectors import Viewer, is_staff, viewer_id

# Switched off by the parity tests to run the ORM twin on PostgreSQL.
ENABLED = True


def enabled() -> bool:
    return ENABLED and connection.vendor == "postgresql"


def _visible(*, staff: bool, signed_in: bool) -> str:
    """`selectors._matchable` over the aliases p (profile), u (user), g (page), without the
    request's author (one parameter) and, when signed in and not staff, the viewer's blocks
    (two parameters: the viewer, twice)."""
    p, u, g = Columns(MentorProfile, "p"), Columns(UserRef, "u"), Columns(Page, "g")
    b = Columns(PageBlock)
    alive = f"{p('withdrawn_at')} IS NULL AND NOT {u('is_deleted')} AND {p('user')} <> %s"
    if staff:
        return alive
    seen = f"NOT {g('is_blocked')}"
    if signed_in:
        blocked = f"SELECT {b.name('page')} FROM {b.table} WHERE {b.name('user')} = %s"
        seen = f"(({seen} AND {p('page')} NOT IN ({blocked})) OR {p('user')} = %s)"
    return f"{alive} AND {seen}"


@functools.cache
def _statement(staff: bool, signed_in: bool, tags: int) -> str:
    p, u, g = Columns(MentorProfile, "p"), Columns(UserRef, "u"), Columns(Page, "g")
    s, sl = Columns(MentorSubject, "s"), Columns(MentorSubjectLanguage, "sl")
    joins = (
        f"JOIN {p.table} p ON {p('id')} = {{id}} JOIN {u.table} u ON {u('id')} = {p('user')}"
        f" JOIN {g.table} g ON {g('id')} = {p('page')}"
    )
    visible = _visible(staff=staff, signed_in=signed_in)

    def tag_part(column: str) -> str:
        # as `tags__icontains='"tag"'` compiles: the JSON text, upper-cased, LIKE the pattern
        return "".join(
            f" + (CASE WHEN UPPER({column}::text) LIKE UPPER(%s) THEN 1.0 ELSE 0.0 END)::float8"
            for _ in range(tags)
        )

    return f"""
    WITH floors AS (
        SELECT GREATEST(
            COALESCE((
                SELECT {s("base_score")} FROM {s.table} s {joins.format(id=s("profile"))}
                WHERE {s("code")} = %s AND {visible}
                ORDER BY {s("base_score")} DESC LIMIT 1 OFFSET %s
            ), -1e9),
            COALESCE((
                SELECT {sl("base_score")} FROM {sl.table} sl {joins.format(id=sl("profile"))}
                WHERE {sl("subject")} = %s AND {sl("language")} = %s AND {visible}
                ORDER BY {sl("base_score")} DESC LIMIT 1 OFFSET %s
            ) + 2.0::float8, -1e9)
        ) - %s AS low
    ), scored AS (
        SELECT {sl("profile")} AS id,
               {sl("base_score")} + 2.0::float8{tag_part(sl("tags"))} AS score
        FROM {sl.table} sl, floors
        WHERE {sl("subject")} = %s AND {sl("language")} = %s
          AND {sl("base_score")} >= floors.low - 2.0::float8
        UNION ALL
        SELECT {s("profile")}, {s("base_score")} + 0.0::float8{tag_part("t.tags")}
        FROM {s.table} s, floors,
             -- the tags by the primary key, per row: the range is a few rows at most.
             -- OFFSET 0 keeps PostgreSQL from pulling the subquery up into a join, which
             -- it then planned as a hash join over a scan of every profile (13 ms at
             -- 100,000 mentors, from a misestimate of the range's rows).
             LATERAL (
               SELECT {p("tags")} AS tags FROM {p.table} p WHERE {p("id")} = {s("profile")}
               OFFSET 0
             ) t
        WHERE {s("code")} = %s AND {s("base_score")} >= floors.low
          -- per row by the unique index (OFFSET 0: not an anti join, which hashed every
          -- speaker of the language for the range's few rows)
          AND NOT EXISTS (
            SELECT 1 FROM {sl.table} sl WHERE {sl("subject")} = %s AND {sl("language")} = %s
              AND {sl("profile")} = {s("profile")} OFFSET 0
          )
    )
    SELECT c.id FROM (SELECT id, score FROM scored ORDER BY score DESC, id DESC) c
    {joins.format(id="c.id")}
    WHERE {visible}
    ORDER BY c.score DESC, c.id DESC
    LIMIT %s
    """


def match_candidates(
    *, request: LearningRequest, viewer: Viewer, first: int, spread: float
) -> list[uuid.UUID]:
    """The ids of the first `first` matches of `request` for `viewer`, best first: what
    `selectors._candidates_orm` returns, in one statement. `spread`: the most the tags can add,
    with the rounding slack (the twin's bound)."""
    staff, user_id = is_staff(viewer), viewer_id(viewer)
    signed_in = user_id is not None and not staff
    visible = [request.author_id, *([user_id, user_id] if signed_in else [])]
    patterns = [f'%"{connection.ops.prep_for_like_query(tag)}"%' for tag in request.tags]
    subject, language = request.subject, request.language
    params = [
        subject, *visible, first - 1,
        subject, language, *visible, first - 1,
        spread,
        *patterns, subject, language,
        *patterns, subject, subject, language,
        *visible, first,
    ]  # fmt: skip
    sql = _statement(staff, signed_in, len(request.tags))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# ---------------------------------------------------------------------------------------------
# A request as its reader may see it (`selectors.request_for`)


@functools.cache
def _request_statement(staff: bool, signed_in: bool) -> str:
    """The request by id with its author's columns (`a_<column>`), when
    `selectors.visible_requests_q` lets the viewer read it: its conditions one for one (the
    viewer's id: five parameters when signed in)."""
    r, u, g = Columns(LearningRequest, "r"), Columns(UserRef, "u"), Columns(Page, "g")
    b, f, o = Columns(PageBlock, "b"), Columns(Follow, "f"), Columns(LearningOffer, "o")
    s, p = Columns(MentorSubject, "s"), Columns(MentorProfile, "p")
    V = LearningRequest.Visibility
    author = ", ".join(
        f"{u(field.name)} AS a_{field.column}" for field in UserRef._meta.concrete_fields
    )
    alive = f"NOT {u('is_banned')} AND NOT {u('is_deleted')}"
    public = f"{r('visibility')} = '{V.PUBLIC.value}'"
    if staff:
        visible = "TRUE"
    elif not signed_in:
        visible = f"{alive} AND {public}"
    else:
        blocked_by = (
            f"SELECT {g('owner')} FROM {b.table} b JOIN {g.table} g ON {g('id')} = {b('page')}"
            f" WHERE {b('user')} = %s"
        )
        followed = (
            f"SELECT {g('owner')} FROM {f.table} f JOIN {g.table} g ON {g('id')} = {f('page')}"
            f" WHERE {f('user')} = %s AND {f('status')} = '{Follow.Status.APPROVED.value}'"
            f" AND {g('kind')} = '{Page.Kind.PERSONAL.value}'"
        )
        taught = (
            f"SELECT {s('code')} FROM {s.table} s JOIN {p.table} p ON {p('id')} = {s('profile')}"
            f" JOIN {g.table} g ON {g('id')} = {p('page')} WHERE {p('user')} = %s"
            f" AND {p('withdrawn_at')} IS NULL AND NOT {g('is_blocked')}"
        )
        offered = (
            f"SELECT {o('request')} FROM {o.table} o JOIN {p.table} p ON {p('id')} = {o('mentor')}"
            f" WHERE {p('user')} = %s"
        )
        audience = (
            f"{public} OR ({r('visibility')} = '{V.FOLLOWERS.value}'"
            f" AND {r('author')} IN ({followed})) OR {r('subject')} IN ({taught})"
            f" OR {r('id')} IN ({offered})"
        )
        visible = (
            f"{r('author')} = %s OR ({alive} AND NOT ({r('author')} IN ({blocked_by}))"
            f" AND ({audience}))"
        )
    return f"""
    SELECT {r.all()}, {author}
    FROM {r.table} r JOIN {u.table} u ON {u("id")} = {r("author")}
    WHERE {r("id")} = %s AND ({visible})
    """


# What a mentor's list shows of their page (`serializers.MentorPageBrief`) and its owner: the
# rest of the page's columns are deferred (read by primary key if something asks for them).
PAGE_BRIEF = ("id", "owner", "kind", "handle", "name", "avatar_id")
# What a mentor's list shows of a profile (`serializers.mentor_data`) and a match's reasons
# read (`selectors.match_reasons`): the rest (the search text above all, the longest) is
# deferred: fewer columns to send, decode and set (~0.1 ms of a page's CPU).
MENTOR_BRIEF = (
    "id", "user", "page", "subjects", "tags", "languages", "years_experience", "bio",
    "price_min", "price_max", "currency", "availability", "last_active_at", "reviews_count",
    "rating_1", "rating_2", "rating_3", "rating_4", "rating_5", "average", "rank", "created_at",
)  # fmt: skip


@functools.cache
def fields_of(model: Any, names: tuple[str, ...] | None = None) -> tuple[Any, ...]:
    """`model`'s concrete fields, or those of `names`, in that order."""
    if names is None:
        return tuple(model._meta.concrete_fields)
    return tuple(model._meta.get_field(name) for name in names)


@functools.cache
def _attnames(model: Any) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def select_list(model: Any, alias: str, names: tuple[str, ...] | None = None) -> str:
    """The qualified columns of `model` (`names`: those fields only, in that order), for the
    values `instance` takes."""
    columns = Columns(model, alias)
    return ", ".join(columns(field.name) for field in fields_of(model, names))


@functools.cache
def _layout(model: Any, names: tuple[str, ...] | None) -> list[tuple[int | None, Any, list[Any]]]:
    """For each concrete field of `model`: the position of its value among those of `names`
    (None: deferred, not among them), its column and the converters a queryset applies to it."""
    table, given = model._meta.db_table, [field.name for field in fields_of(model, names)]
    found: list[tuple[int | None, Any, list[Any]]] = []
    for field in model._meta.concrete_fields:
        if field.name not in given:
            found.append((None, None, []))
            continue
        column = field.get_col(table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        found.append((given.index(field.name), column, converters))
    return found


def instance(model: Any, values: Any, names: tuple[str, ...] | None = None) -> Any:
    """A `model` built from its columns' values as a queryset builds it (`names`: the fields
    the values are of, the others deferred, as `.only()` leaves them)."""
    if len(values) != len(fields_of(model, names)):
        raise ValueError(f"{len(values)} values for {len(fields_of(model, names))} fields")
    converted = []
    for position, column, converters in _layout(model, names):
        if position is None:
            converted.append(DEFERRED)
            continue
        value = values[position]
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    # One value (or DEFERRED) per concrete field, in order: what `from_db` hands the model.
    return model.from_db(connection.alias, _attnames(model), converted)


def request_for(*, request_id: uuid.UUID, viewer: Viewer) -> LearningRequest | None:
    """The request, with its author, if `viewer` may read it (`selectors.request_for`'s rule),
    else None; one statement, compiled once per kind of reader."""
    staff, user_id = is_staff(viewer), viewer_id(viewer)
    signed_in = user_id is not None and not staff
    params: list[Any] = [request_id]
    if signed_in:
        params += [user_id, user_id, user_id, user_id, user_id]
    with connection.cursor() as cursor:
        cursor.execute(_request_statement(staff, signed_in), params)
        row = cursor.fetchone()
    if row is None:
        return None
    own = len(LearningRequest._meta.concrete_fields)
    request = instance(LearningRequest, row[:own])
    author = instance(UserRef, row[own:])
    LearningRequest._meta.get_field("author").set_cached_value(request, author)
    return request


# ---------------------------------------------------------------------------------------------
# The rows of a first page of matches (`selectors.first_matches`)


@functools.cache
def _page_statement(tags: int) -> str:
    """The candidates' profiles with their pages (`g_<column>`), `speaks` and `match_score`
    written as `selectors._match_score` compiles them (the same operations in the same order,
    the constants as the same parameters), so the scores are the ORM's to the last bit: the
    cursor of the next page is made of them."""
    p, u, g = Columns(MentorProfile, "p"), Columns(UserRef, "u"), Columns(Page, "g")
    ml = Columns(MentorLanguage, "ml")
    page = ", ".join(
        f"{g(field.name)} AS g_{field.column}" for field in fields_of(Page, PAGE_BRIEF)
    )
    speaks = (
        f"EXISTS(SELECT 1 FROM {ml.table} ml WHERE {ml('code')} = %s"
        f" AND {ml('profile')} = {p('id')})"
    )
    score = f"(((LEAST({p('years_experience')}, %s))::double precision / %s) + {p('rank')})"
    score = f"({score} + CASE WHEN {speaks} THEN %s ELSE %s END)"
    for _ in range(tags):
        score = f"({score} + CASE WHEN UPPER({p('tags')}::text) LIKE UPPER(%s) THEN %s ELSE %s END)"
    return f"""
    SELECT {select_list(MentorProfile, "p", MENTOR_BRIEF)}, {page}, {speaks} AS speaks,
           ({score})::double precision AS match_score
    FROM {p.table} p JOIN {u.table} u ON {u("id")} = {p("user")}
    JOIN {g.table} g ON {g("id")} = {p("page")}
    WHERE NOT {u("is_deleted")} AND {p("withdrawn_at")} IS NULL AND {p("id")} = ANY(%s)
    ORDER BY match_score DESC, {p("id")} DESC
    LIMIT %s
    """


def page_rows(
    *, request: LearningRequest, ids: list[uuid.UUID], first: int, weights: tuple[Any, ...]
) -> list[MentorProfile]:
    """The profiles `ids` (the candidates), best first, each with its page, `speaks` and
    `match_score`: what `matching_mentors(first=…)` ordered by `-match_score, -id` gives.
    `weights`: the score's constants as the ORM passes them (years cap, its divisor, the
    language's weight, nothing, the tag's weight)."""
    cap, divisor, language, nothing, tag = weights
    params: list[Any] = [request.language, cap, divisor, request.language, language, nothing]
    for name in request.tags:  # as `tags__icontains='"name"'` compiles
        quoted = connection.ops.prep_for_like_query(f'"{name}"')
        params += [f"%{quoted}%", tag, nothing]
    params += [list(ids), first]
    with connection.cursor() as cursor:
        cursor.execute(_page_statement(len(request.tags)), params)
        rows = cursor.fetchall()
    own, pages = len(MENTOR_BRIEF), len(PAGE_BRIEF)
    found = []
    for row in rows:
        profile = instance(MentorProfile, row[:own], MENTOR_BRIEF)
        page = instance(Page, row[own : own + pages], PAGE_BRIEF)
        MentorProfile._meta.get_field("page").set_cached_value(profile, page)
        profile.speaks, profile.match_score = row[own + pages], row[own + pages + 1]
        found.append(profile)
    return found
