"""Writes on calendar feeds: make one (the URL is shown once), rotate its secret, revoke it.

A feed's URL carries a 256-bit secret (`secrets.token_urlsafe(32)`); only its SHA-256 digest
is stored (a fast hash is enough for a random secret of that size: there is nothing to guess
from the digest, unlike a password). Revoking deletes the row, so the old URL answers the same
404 as one that never existed.
"""

from __future__ import annotations

import hashlib
import secrets
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cotask_common.errors import NotFound, ServiceError
from cotask_common.users.models import UserRef
from tasks.calendar.models import CalendarFeed, FeedKind
from tasks.rooms.access import membership_in
from tasks.rooms.models import RoomRole

# Enough for every room and device a person subscribes from; stops an endless pile of secrets.
MAX_FEEDS_PER_PERSON = 50


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def feed_not_found() -> NotFound:
    return NotFound(_("No calendar feed with this id."), code="calendar_feed_not_found")


def address_not_found() -> NotFound:
    """The one answer of a feed address that shows nothing, whatever the reason."""
    return NotFound(_("No calendar feed at this address."), code="calendar_feed_not_found")


def _my_feed(*, user: UserRef, feed_id: UUID | str, lock: bool = False) -> CalendarFeed:
    try:
        feed_uuid = feed_id if isinstance(feed_id, UUID) else UUID(str(feed_id))
    except ValueError:
        raise feed_not_found() from None
    feeds = CalendarFeed.objects.filter(id=feed_uuid, owner_id=user.id)
    if lock:
        feeds = feeds.select_for_update()
    feed = feeds.first()
    if feed is None:
        raise feed_not_found()
    return feed


def create_feed(*, user: UserRef, room_id: UUID | str | None = None) -> tuple[CalendarFeed, str]:
    """A new feed of my assigned tasks (`room_id` None) or of a room I am in (any role: a
    viewer reads the room's tasks anyway). Returns the feed and its secret, shown only now."""
    room = None
    if room_id is not None:
        room = membership_in(user=user, room_id=room_id, at_least=RoomRole.VIEWER).room
    if CalendarFeed.objects.filter(owner_id=user.id).count() >= MAX_FEEDS_PER_PERSON:
        raise ServiceError(
            _("You have %(count)d calendar feeds, the most there may be: revoke one first.")
            % {"count": MAX_FEEDS_PER_PERSON},
            code="too_many_calendar_feeds",
            status_code=409,
        )
    token = new_token()
    feed = CalendarFeed.objects.create(
        owner_id=user.id,
        kind=FeedKind.ROOM if room else FeedKind.PERSON,
        room=room,
        token_digest=digest(token),
    )
    return feed, token


def rotate_feed(*, user: UserRef, feed_id: UUID | str) -> tuple[CalendarFeed, str]:
    """A new secret for my feed: the old URL answers 404 from now on."""
    with transaction.atomic():
        feed = _my_feed(user=user, feed_id=feed_id, lock=True)
        token = new_token()
        feed.token_digest = digest(token)
        feed.rotated_at = timezone.now()
        feed.save(update_fields=["token_digest", "rotated_at"])
    return feed, token


def revoke_feed(*, user: UserRef, feed_id: UUID | str) -> None:
    """Delete my feed: its URL answers 404 at once."""
    feed = _my_feed(user=user, feed_id=feed_id)
    CalendarFeed.objects.filter(id=feed.id).delete()


def note_fetched(*, feed: CalendarFeed) -> None:
    """Remember that a calendar app fetched the feed, at most once an hour (no write per poll)."""
    now = timezone.now()
    last = feed.last_fetched_at
    if last is None or (now - last).total_seconds() >= 3600:
        CalendarFeed.objects.filter(id=feed.id).update(last_fetched_at=now)
        feed.last_fetched_at = now
