"""Reads for calendar feeds: the feed behind a secret URL, and the tasks it shows.

Every read is a fixed number of queries, whatever the number of tasks: the feed with its owner
and room (and whether the owner is still a member) in one, the tasks with their rooms in one,
the reminder offsets in a fixed few (tasks.calendar.alarms).
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cotask_common.users.models import UserRef
from tasks.calendar.models import CalendarFeed, FeedKind
from tasks.calendar.services import digest
from tasks.planning.models import Assignment, Status, Task
from tasks.planning.services import NO_DEADLINE
from tasks.rooms.models import Membership, Room, RoomKind

# `secrets.token_urlsafe(32)`: 43 characters of the URL-safe base64 alphabet. Anything else is
# not looked up at all.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# A feed shows open tasks whose deadline is at most this long ago (older ones are left behind:
# nobody scrolls a calendar back a year for them) ...
PAST = timedelta(days=365)
# ... and at most this many, the nearest deadlines first: a calendar app refuses or chokes on
# enormous feeds, and the response stays bounded.
MAX_EVENTS = 1000


def my_feeds(*, user: UserRef) -> QuerySet[CalendarFeed]:
    return CalendarFeed.objects.filter(owner_id=user.id).select_related("room")


def feed_for_token(*, token: str) -> CalendarFeed | None:
    """The live feed behind a URL's secret, or None: unknown, revoked, rotated away, its owner
    banned, deactivated or deleted, or (a room feed) its owner no longer in the room. The
    caller answers every None with the same 404. One query."""
    if not TOKEN_RE.match(token):
        return None
    feed = (
        CalendarFeed.objects.select_related("owner", "room")
        .annotate(
            owner_in_room=Exists(
                Membership.objects.filter(room_id=OuterRef("room_id"), user_id=OuterRef("owner_id"))
            )
        )
        .filter(token_digest=digest(token))
        .first()
    )
    if feed is None:
        return None
    owner = feed.owner
    banned = owner.is_banned and (owner.banned_until is None or owner.banned_until > timezone.now())
    if banned or owner.is_deleted or owner.is_deactivated:
        return None
    if feed.kind == FeedKind.ROOM and not feed.owner_in_room:
        return None
    return feed


def _open_with_deadline(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return (
        tasks.exclude(status=Status.COMPLETED)
        .filter(due_sort__gte=timezone.now() - PAST, due_sort__lt=NO_DEADLINE)
        .select_related("room")
        .only(
            "id",
            "room__id",
            "room__name",
            "title",
            "description",
            "status",
            "priority",
            "due_date",
            "due_at",
            "recurrence",
            "series_id",
            "created_at",
            "updated_at",
        )
        .order_by("due_sort", "id")
    )


def feed_tasks(*, feed: CalendarFeed) -> list[Task]:
    """The open tasks with a deadline the feed shows: a room feed, the room's (through the
    room's deadline index); a person's feed, the tasks assigned to them in the rooms they are in
    and every task of their personal space (as "my tasks" reads them: my few task ids, fetched
    by primary key, never a scan of my rooms' tasks). Completed tasks are left out (see
    docs/decisions.md). Two queries at most."""
    if feed.room_id is not None:
        return list(_open_with_deadline(Task.objects.filter(room_id=feed.room_id))[:MAX_EVENTS])
    rooms = list(
        Room.objects.filter(memberships__user_id=feed.owner_id).values_list(
            "id", "kind", "owner_id"
        )
    )
    space_id = next(
        (id for id, kind, owner in rooms if kind == RoomKind.PERSONAL and owner == feed.owner_id),
        None,
    )
    ids = Assignment.objects.filter(user_id=feed.owner_id).values("task_id")
    if space_id is not None:
        ids = ids.union(Task.objects.filter(room_id=space_id).values("id"))
    rows = Task.objects.filter(id__in=ids, room_id__in=[room[0] for room in rooms])
    return list(_open_with_deadline(rows)[:MAX_EVENTS])
