"""The room analytics reads' answers, cached as rendered JSON under the room's figures version.

Every write of a room's aggregates (an event applied, the room forgotten, a rebuild) raises its
`FiguresVersion` in the writer's own transaction (`services.touch`). A read checks the
permission (as without a cache: a stranger's 404 and a member's 403 are never cached), reads
the version (and, for the members read, the members' list, which is part of the answer) and
looks for the answer under a key naming them, the URL (the period) and the language: a reader
that sees a change sees a new key, in every process, whatever the cache backend (Redis in
production, each process's memory in the embedded default), as the board's pages
(`tasks.planning.pages`, whose per-process copies are used here too).

The answers also move with the clock without any write: "overdue now" counts the open tasks
whose deadline has passed, so it grows at each of today's deadlines, and a new UTC day turns
today into a past day. An answer computed at `at` is therefore stored with the moment it stops
being exact (`fresh_until`: the next open deadline at or after `at`, or the next UTC midnight)
and served only before then.

A cold read stores its answer only when the version read with or after the figures is still
the one of the key (a write committed in between could have been read half-way): figures stored
under a version are exactly that version's. On PostgreSQL the statement reads the version in
its own snapshot (`hot_sql.Stamp`); the ORM twin's several queries are followed by one more.
The permission check reads the version in the same query.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable, Collection
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db import connection
from django.db.models import Subquery
from django.http import HttpResponse
from django.utils import timezone

from cotask_common import outages
from cotask_common.statements import Columns, Statement
from cotask_common.users.models import UserRef
from tasks.analytics import hot_sql, selectors
from tasks.analytics.models import FiguresVersion, TaskFact
from tasks.planning import pages
from tasks.rooms.access import RoomNotFound, RoomRoleRequired, has_role
from tasks.rooms.models import Membership, RoomRole

logger = logging.getLogger("cotask.outages")

# A key changes with every write of its room, so the timeout only frees memory.
ANSWER_SECONDS = 600
HEADER = pages.HEADER  # hit | miss | off
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _next_deadline(rooms: Collection[UUID], at: datetime, midnight: datetime) -> Any:
    # By the index on (room, open deadline), as the read's own "late today" count.
    return TaskFact.objects.filter(
        room_id__in=rooms, open_deadline__gte=at, open_deadline__lt=midnight
    ).order_by("open_deadline")


def _midnight_after(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(UTC).date() + timedelta(days=1), time(0), tzinfo=UTC)


def fresh_until(*, rooms: Collection[UUID], at: datetime) -> datetime:
    """Until when figures read at `at` stay exact if nothing is written: the next deadline of
    an open task of `rooms` at or after `at` ("overdue now" counts it once passed), or the
    next UTC midnight (the day's deadlines become a past day's), whichever comes first."""
    midnight = _midnight_after(at)
    nearest = _next_deadline(rooms, at, midnight).values_list("open_deadline", flat=True).first()
    return nearest or midnight


def _version_and_fresh_until(room: UUID, at: datetime) -> tuple[int, datetime]:
    """The room's version now and `fresh_until` in one query (a cold read's last)."""
    midnight = _midnight_after(at)
    nearest = Subquery(_next_deadline([room], at, midnight).values("open_deadline")[:1])
    row = (
        FiguresVersion.objects.filter(room_id=room)
        .annotate(nearest=nearest)
        .values_list("version", "nearest")
        .first()
    )
    if row is None:  # no write yet (or facts from before versions existed): ask the facts
        return 0, fresh_until(rooms=[room], at=at)
    return row[0], row[1] or midnight


def _room_id(room_id: Any) -> UUID:
    try:
        return room_id if isinstance(room_id, UUID) else UUID(str(room_id))
    except ValueError:
        raise RoomNotFound() from None


@functools.cache
def _with_version(*, members: bool) -> Statement:
    """The memberships a read checks, each with the room's figures version (0 before its
    first write), in one query: the reader's role (`members` False: params room, room,
    reader) or every member as the members read lists them (`selectors.room_members_rows`'
    order: params room, room). Written once by hand: Django compiling the same query (a
    join, a subquery, `Coalesce`) was ~0.8 ms of CPU per read, cached answers included."""
    m, u = Columns(Membership, "m"), Columns(UserRef, "u")
    v = Columns(FiguresVersion, "v")
    # Only the models' quoted table and column names are interpolated; values are parameters.
    version = f"coalesce((SELECT {v('version')} FROM {v.table} v WHERE {v('room_id')} = %s), 0)"  # noqa: S608
    if members:
        sql = (
            f"SELECT {m('user')}, {u('username')}, {m('role')}, {version} "  # noqa: S608
            f"FROM {m.table} m JOIN {u.table} u ON {u('id')} = {m('user')} "
            f"WHERE {m('room')} = %s ORDER BY {m('joined_at')}, {m('id')}"
        )
        return Statement(sql, [v.field("room_id"), m.field("room")])
    sql = (
        f"SELECT {m('role')}, {version} FROM {m.table} m "  # noqa: S608
        f"WHERE {m('room')} = %s AND {m('user')} = %s"
    )
    return Statement(sql, [v.field("room_id"), m.field("room"), m.field("user")])


def _rows(statement: Statement, *values: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(*values))
        return cursor.fetchall()


def _uuid(value: Any) -> UUID:
    # psycopg gives a UUID, SQLite the text Django stored.
    return value if isinstance(value, UUID) else UUID(str(value))


def room(*, request: Any, room_id: Any, period: selectors.Period) -> HttpResponse:
    """`GET …/analytics/rooms/{id}/`: any member; others the 404 of a missing room (the rule
    of `membership_in`, read with the version)."""
    the_room = _room_id(room_id)
    found = _rows(_with_version(members=False), the_room, the_room, request.user.id)
    if not found:
        raise RoomNotFound()
    row = found[0]
    if not has_role(row[0], RoomRole.VIEWER):
        raise RoomRoleRequired(RoomRole.VIEWER)
    version = row[1]
    key = pages.page_key("analytics-room", versions=[(the_room, version)], request=request)
    return _cached(
        key,
        lambda: selectors.room_answer(room=the_room, period=period, raw=True),
        room=the_room,
        version=version,
    )


def members(*, request: Any, room_id: Any, period: selectors.Period) -> HttpResponse:
    """`GET …/analytics/rooms/{id}/members/`: admins and the owner (a member below: 403, a
    non-member: 404). The reader's own membership is one of the rows listed: one query for
    the permission, the members and the version."""
    the_room = _room_id(room_id)
    rows = [
        (_uuid(member_id), name, role, version)
        for member_id, name, role, version in _rows(_with_version(members=True), the_room, the_room)
    ]
    mine = next((role for member_id, _, role, _v in rows if member_id == request.user.id), None)
    if mine is None:
        raise RoomNotFound()
    if not has_role(mine, RoomRole.ADMIN):
        raise RoomRoleRequired(RoomRole.ADMIN)
    version = rows[0][3]
    listed = [(member_id, name, role) for member_id, name, role, _v in rows]
    # Who is listed, by what name and role, is part of the answer, and changes with no write
    # of the figures.
    digest = hashlib.blake2b(digest_size=16)
    for member_id, name, role in listed:
        digest.update(f"{member_id}|{name}|{role};".encode())
    key = pages.page_key(
        "analytics-members",
        versions=[(the_room, version)],
        request=request,
        extra=digest.hexdigest(),
    )
    return _cached(
        key,
        lambda: selectors.members_answer(room=the_room, members=listed, period=period, raw=True),
        room=the_room,
        version=version,
    )


def _cached(
    key: str,
    build: Callable[[], tuple[Any, hot_sql.Stamp | None]],
    *,
    room: UUID,
    version: int,
) -> HttpResponse:
    """The answer under `key` while still exact, else `build()`'s rendered and stored."""
    local = pages._local()  # this process's copies (None with LocMemCache)
    entry = local.get(key) if local is not None else None
    if entry is None:
        try:
            entry = cache.get(key)
        except Exception as exc:
            # The cache is a cache: while its Redis is away the answer comes from the database.
            if outages.unavailable_dependency(exc) != outages.REDIS:
                raise
            logger.warning("redis unavailable: %s; %s read without the cache", exc, key[:40])
            return _response(render(build()[0]), "off")
        if entry is not None and local is not None:
            local.put(key, entry)
    if entry is not None:
        until, _, body = entry.partition(b"\n")
        if _micros(timezone.now()) < int(until):
            return _response(body, "hit")
    at = timezone.now()
    answer, stamp = build()
    body = render(answer)
    # The statement read the version and the next deadline in the figures' own snapshot; the
    # ORM twin's several queries did not, so the version is read again after them.
    now_version, until = (
        (stamp.version, stamp.fresh_until)
        if stamp is not None
        else _version_and_fresh_until(room, at)
    )
    if now_version != version:  # a write committed meanwhile: maybe read half-way
        return _response(body, "miss")
    entry = f"{_micros(until)}\n".encode() + body
    pages.store(key, entry, seconds=ANSWER_SECONDS, local=local)
    return _response(body, "miss")


def render(data: Any) -> bytes:
    """`pages.render(data)`, byte for byte, where the series of days the statement wrote as
    JSON text (`hot_sql.DaysJSON`, a dict's value or in the dicts of a list) are spliced in as
    they are: a year's 366 days are neither parsed nor written again in Python. One render
    with a marker in each text's place (a random one: no person's text can be it), then the
    texts put in the markers' places, in order."""
    texts: list[str] = []
    marker = f"\x00{secrets.token_hex(8)}"
    body = pages.render(_marked(data, marker, texts))
    if not texts:
        return body
    parts = body.split(pages.render(marker))
    if len(parts) != len(texts) + 1:  # pragma: no cover - the marker is random
        raise RuntimeError("a marker of the answer's days was not found once each")
    out = [parts[0]]
    for text, part in zip(texts, parts[1:], strict=True):
        out += (text.encode(), part)
    return b"".join(out)


def _marked(value: Any, marker: str, texts: list[str]) -> Any:
    # Dicts are copied with the marker for each text; a list is looked into only when its
    # first item is a dict holding a text (the members), so a parsed series of days (the
    # ORM twin's) is not walked.
    if isinstance(value, hot_sql.DaysJSON):
        texts.append(value)
        return marker
    if isinstance(value, dict):
        return {name: _marked(item, marker, texts) for name, item in value.items()}
    if (
        isinstance(value, list)
        and value
        and isinstance(value[0], dict)
        and any(isinstance(item, hot_sql.DaysJSON) for item in value[0].values())
    ):
        return [_marked(item, marker, texts) for item in value]
    return value


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _response(body: bytes, state: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/json")
    response[HEADER] = state
    return response
