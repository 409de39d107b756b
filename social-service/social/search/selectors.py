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

Posts and mentors (full text, `search_posts`, `search_mentors`): on PostgreSQL the stored
generated `search_vector` column (migration `search.0002_fulltext_posts_mentors`: the text under
the `english`, `russian` and `simple` configurations, GIN-indexed) matched by a query in any of the
three languages (`any_language_query`): English and Russian words by their Snowball stems,
Ukrainian ones (no configuration ships with PostgreSQL) by a prefix of the word with its ending cut
(`ukrainian_prefixes`). A mentor's vector also holds its Cyrillic words' prefixes as marked lexemes
and its subjects, languages, their pairs and rating's half stars (migrations
`search.0003_mentor_vector_lexemes`, `0004_mentor_pairs_uncompressed`):
a mentor query asks for the marked prefixes (`mentor_text_query`) and ANDs the filters
(`mentor_filter_query`), so one index scan answers all. SQLite: every word of the query contained
in the lower-cased text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Lower
from django.db.models.sql.compiler import SQLCompiler

from cotask_common.users.models import UserRef
from social.mentors import selectors as mentor_selectors
from social.mentors.models import MentorLanguage, MentorProfile, MentorSubject
from social.pages.models import Page, PageBlock, PageTag
from social.pages.selectors import Viewer, is_staff, readable_pages_q, viewer_id
from social.posts.models import Post, PostTag
from social.posts.selectors import visible_posts
from social.search import hot_sql

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


# ---------------------------------------------------------------------------------------------
# Full text: posts, mentors, tags

WORD = re.compile(r"[^\W_]+")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Ukrainian endings (nouns, adjectives, verbs), longest first: what is cut from a query word
# before it is matched as a prefix, so "математику" finds "математика" and "математики".
# Cyrillic on purpose (RUF001 flags letters that look Latin).
UKRAINIAN_ENDINGS = sorted(
    [
        *("ами", "ями", "ові", "еві", "ам", "ям", "ах", "ях", "ів", "їв", "ей", "ою", "ею"),  # noqa: RUF001
        *("ом", "ем", "ій", "ий", "ої", "ого", "ому", "им", "их", "ими", "іми", "ім"),  # noqa: RUF001
        *("ати", "ити", "ють", "ять", "ує", "ює", "ла", "ли", "ло", "ння", "ть"),
        *("а", "я", "о", "е", "и", "і", "ї", "у", "ю", "ь", "й"),  # noqa: RUF001
    ],
    key=len,
    reverse=True,
)
# Words shorter than MIN_PREFIX are matched whole, and no ending is cut below MIN_STEM
# letters: a two-letter prefix matches too much.
MIN_PREFIX, MIN_STEM = 4, 3


def _stem(word: str) -> str:
    for ending in UKRAINIAN_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def ukrainian_prefixes(query: str) -> str:
    """A `to_tsquery('simple', …)` text: every Cyrillic word of the query, its ending cut, as a
    prefix (`математик:*`), AND-ed; other words whole (the English stems already match them,
    and a prefix scan of the index is the costly part of a query). Only letters and digits
    reach it, so it cannot be malformed."""
    return _terms(query, prefix="{}:*", whole="{}")


class VectorColumn(Expression):
    """The `search_vector` column of the query's base table (added by the migration, unknown to
    the model: SQLite has none)."""

    def __init__(self) -> None:
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.search_vector", ()


ANY_LANGUAGE_QUERY = (
    "websearch_to_tsquery('english'::regconfig, %s)"
    " || websearch_to_tsquery('russian'::regconfig, %s)"
    " || to_tsquery('simple'::regconfig, %s)"
)


def any_language_query(query: str) -> RawSQL:
    """The query in English, Russian (Snowball stems) or Ukrainian (word prefixes), OR-ed."""
    from django.contrib.postgres.search import SearchQueryField

    # A constant template; the query is a parameter, never part of the SQL.
    return RawSQL(  # noqa: S611
        ANY_LANGUAGE_QUERY,
        (query, query, ukrainian_prefixes(query)),
        output_field=SearchQueryField(),
    )


def marked_prefixes(query: str) -> str:
    """`ukrainian_prefixes` as a tsquery's text for the mentors' vector (migration
    `search.0003_mentor_vector_lexemes`): each prefix the exact marked lexeme `'математик*'`
    (one posting list) instead of the prefix scan `математик:*`, other words whole. Lower-cased
    as the `simple` configuration writes words; only letters and digits reach it, so it cannot
    be malformed (no quote, no operator)."""
    return _terms(query, prefix="'{}*'", whole="'{}'")


def _terms(query: str, *, prefix: str, whole: str) -> str:
    # Each word of the query AND-ed: a Cyrillic one of MIN_PREFIX letters or more as its stem
    # in the `prefix` form, any other in the `whole` form.
    terms = []
    for word in WORD.findall(query.lower()):
        if CYRILLIC.search(word) is not None and len(word) >= MIN_PREFIX:
            terms.append(prefix.format(_stem(word)))
        else:
            terms.append(whole.format(word))
    return " & ".join(terms)


# A mentor query: `ANY_LANGUAGE_QUERY` with the marked prefixes (`mentor_text_query`).
MENTOR_TEXT_QUERY = (
    "(websearch_to_tsquery('english'::regconfig, %s)"
    " || websearch_to_tsquery('russian'::regconfig, %s)"
    " || %s::tsquery)"
)


def mentor_text_query(query: str) -> tuple[str, tuple[str, ...]]:
    """(SQL, parameters) of the text query a mentor's vector matches and is ranked by."""
    return MENTOR_TEXT_QUERY, (query, query, marked_prefixes(query))


def _lexeme(text: str) -> str:
    # a tsquery literal of one lexeme; the filters are validated codes, quoted all the same
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def mentor_filter_query(
    *, subject: str | None, language: str | None, min_rating: float | None
) -> str | None:
    """The filters as lexemes of a mentor's vector, AND-ed (a tsquery's text; None without
    filters): `sl~<subject>~<language>` for both (one short posting list, not two long ones:
    migration search.0004), else `s~<subject>` or `l~<language>`, and `r~<n>` for the half
    stars `min_rating` reaches (`r~8`: an average of 4.0 or more, with reviews). The index then
    leaves only rows that pass; the exact rating is still checked on the row."""
    terms = []
    if subject and language:
        terms.append(_lexeme(f"sl~{subject}~{language}"))
    elif subject:
        terms.append(_lexeme(f"s~{subject}"))
    elif language:
        terms.append(_lexeme(f"l~{language}"))
    if min_rating and int(min_rating * 2) >= 1:
        terms.append(_lexeme(f"r~{min(int(min_rating * 2), 10)}"))
    return " & ".join(terms) or None


class TextRank(Func):
    function = "ts_rank"
    output_field = FloatField()


def _text_match(query: str) -> tuple[Q, Expression]:
    """(matching condition, relevance) of a full-text query on PostgreSQL."""
    return (
        Q(Matches(VectorColumn(), any_language_query(query))),
        TextRank(VectorColumn(), any_language_query(query)),
    )


def _contains_every_word(field: str, query: str, *, lookup: str = "contains") -> Q:
    """SQLite: every word of the query, its ending cut (`_stem`, which also fits most Russian
    endings), contained in the text. A mentor's text is lower-cased, as the query is here:
    SQLite's case-insensitive LIKE folds ASCII only."""
    match = Q()
    for word in WORD.findall(query.lower()) or [query.lower()]:
        match &= Q(**{f"{field}__{lookup}": _stem(word) if len(word) >= MIN_PREFIX else word})
    return match


def search_posts(*, query: str, viewer: Viewer) -> QuerySet[Post]:
    """Posts the viewer may read (`visible_posts`: private pages only to approved followers,
    blocked pages and pages of banned authors hidden) matching the text, or `#tag`; best match
    first, then newest. Never a banned or deactivated author's post, even for staff."""
    posts = visible_posts(viewer=viewer).filter(
        page__owner_banned=False, page__owner_inactive=False
    )
    query = query.strip()
    if query.startswith("#") and len(query) > 1:
        tag = query[1:].lower()
        return posts.filter(id__in=PostTag.objects.filter(tag=tag).values("post_id")).annotate(
            rank=Value(1.0, output_field=FloatField())
        )
    if _on_postgres():
        match, relevance = _text_match(query)
        return posts.filter(match).annotate(rank=relevance)
    match = _contains_every_word("text", query, lookup="icontains")
    return posts.filter(match).annotate(rank=Value(1.0, output_field=FloatField()))


def search_mentors(
    *,
    query: str,
    viewer: Viewer,
    subject: str | None = None,
    language: str | None = None,
    min_rating: float | None = None,
) -> QuerySet[MentorProfile]:
    """Visible mentors (as the mentor list shows them; never a banned one, even to staff)
    matching the text (names, subjects in en/ru/uk, tags, bio) and the filters, annotated with
    `relevance`: order by it, then the Bayesian rank (`MENTOR_ORDER`). No text: every mentor
    the filters keep, relevance 0."""
    rows = mentor_selectors.mentors(viewer=viewer).filter(user__is_banned=False)
    if min_rating:
        rows = rows.filter(reviews_count__gt=0, average__gte=min_rating)
    query = query.strip()
    if _on_postgres():
        # Containment of the JSON lists, answered by their GIN indexes together with the text's.
        if subject:
            rows = rows.filter(subjects__contains=[subject])
        if language:
            rows = rows.filter(languages__contains=[language])
        if not query:
            return rows.annotate(relevance=Value(0.0, output_field=FloatField()))
        # The vector's marked prefixes (migration search.0003): the rows of `_text_match`.
        from django.contrib.postgres.search import SearchQueryField

        sql, params = mentor_text_query(query)

        def text() -> RawSQL:
            # A constant template; the query is a parameter, never part of the SQL.
            return RawSQL(sql, params, output_field=SearchQueryField())  # noqa: S611

        return rows.filter(Matches(VectorColumn(), text())).annotate(
            relevance=TextRank(VectorColumn(), text())
        )
    if subject:
        rows = rows.filter(id__in=MentorSubject.objects.filter(code=subject).values("profile_id"))
    if language:
        rows = rows.filter(id__in=MentorLanguage.objects.filter(code=language).values("profile_id"))
    if query:
        rows = rows.filter(_contains_every_word("search_text", query))
    return rows.annotate(relevance=Value(0.0, output_field=FloatField()))


MENTOR_ORDER = ("-relevance", "-rank", "-id")


def mentor_page(
    *,
    query: str,
    viewer: Viewer,
    offset: int,
    limit: int,
    subject: str | None = None,
    language: str | None = None,
    min_rating: float | None = None,
) -> list[MentorProfile]:
    """`search_mentors` in `MENTOR_ORDER`, the rows `offset`..`offset + limit`. With a text
    query on PostgreSQL, one hand-written statement (social.search.hot_sql: the found mentors
    ranked before their users and pages are read) returns the page's mentors with their pages
    and relevance (neither the visibility rules nor the rank compiled per request); otherwise
    the queryset's own slice."""
    query = query.strip()
    if not (query and hot_sql.enabled()):
        rows = search_mentors(
            query=query, viewer=viewer, subject=subject, language=language, min_rating=min_rating
        )
        return ranked(rows, offset=offset, limit=limit, ordering=MENTOR_ORDER)
    text_sql, text_params = mentor_text_query(query)
    return hot_sql.mentor_rows(
        query_sql=text_sql,
        query_params=text_params,
        filters=mentor_filter_query(subject=subject, language=language, min_rating=min_rating),
        viewer=viewer,
        min_rating=min_rating,
        offset=offset,
        limit=limit,
    )


def search_tags(*, query: str, viewer: Viewer) -> QuerySet[Any]:
    """Post tags starting with the query (`#` optional), with how many posts the viewer may
    read carry each: most used first (`TAG_ORDER`). An index range over (tag, post)."""
    prefix = query.strip().lstrip("#").lower()
    return (
        PostTag.objects.filter(tag__gte=prefix, tag__lt=prefix + "\uffff")
        .filter(post__deleted_at__isnull=True)
        .filter(readable_pages_q(viewer=viewer, prefix="post__page__"))
        .filter(post__page__owner_banned=False)
        .values("tag")
        .annotate(posts=Count("post_id"))
    )


TAG_ORDER = ("-posts", "tag")


def ranked(
    rows: QuerySet[Any], *, offset: int, limit: int, ordering: Sequence[str] = ("-rank", "id")
) -> list[Any]:
    return list(rows.order_by(*ordering)[offset : offset + limit])
