"""auth-service's events: the account's life.

Topic `auth.user`, key = the user's id, so one account's events stay in order. Producer:
auth-service, from `auth/accounts/services.py`, each in the transaction of the change (auth-service
also applies it to its own `UserRef` in that transaction). Consumers: every service, through the
shared handler `cotask_common.users.events.on_user_event` → `UserRef` (fields present in `data` are
copied; `banned` / `unbanned` / `deleted` set the ban and deletion state, and a role that differs
from the registered one overrides the token's `role` claim).

Every `auth.user.*` event except `.deleted` carries the account as it is after the change (the
account snapshot). `actor` is the user who caused the change (the account itself, or the
moderator/admin), or null when the system did it (a ban that ended by itself).
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime
from typing_extensions import TypedDict

from cotask_common.contracts import references
from cotask_common.contracts.fields import Email, Language, Role, TimeZone, Username
from cotask_common.contracts.references import (
    ATTACHED_CONSUMERS,
    DETACHED_CONSUMERS,
    REFERENCE_KEY,
)
from cotask_common.contracts.registry import SERVICES, declare

KEY = "the user's id"
USER_REF = "the shared handler updates its `UserRef`"


def _everyone(**specific: str) -> dict[str, str]:
    """Every service keeps a UserRef; some do more."""
    return {
        service: f"{USER_REF}; {specific[service]}" if service in specific else USER_REF
        for service in SERVICES
    }


class AccountSnapshot(TypedDict):
    id: UUID
    """the user's id (also the key)"""
    username: Username
    """never changes after registration"""
    display_name: str
    role: Role
    email_verified: bool
    """whether `email` is verified"""
    email: Email
    """the account's address; for notifications-service's emails only; other services must not
    store it"""
    language: Language
    """the language of everything the person reads"""
    time_zone: TimeZone
    """IANA name, for schedules, streaks and reminders"""
    is_active: bool
    """false while staff have deactivated the account (added 2026-12-03; the shared handler
    copies it to `UserRef.is_deactivated`)"""


RECIPIENT = "updates its `Recipient` projection (email, language: not in the shared `UserRef`)"


@declare(
    "auth.user.registered",
    key=KEY,
    consumers=_everyone(
        social="makes the personal page (handle = username, or username + suffix if taken); "
        "keeps the `language` progress posts are written in",
        notifications=RECIPIENT,
        habits="the account's `time_zone` places the owner's reminders and day closes",
    ),
)
class UserRegistered(AccountSnapshot):
    """A new account (through the API, or added by staff in Django admin); `email_verified` is
    false after self-registration."""


@declare(
    "auth.user.updated",
    key=KEY,
    consumers=_everyone(
        notifications=RECIPIENT,
        habits="a new `time_zone` moves the owner's reminders and day closes",
        social="keeps the `language` progress posts are written in",
    ),
)
class UserUpdated(AccountSnapshot):
    """`display_name`, `time_zone` or `language` changed (`PATCH /api/auth/me/`), or the old
    address was restored through the way-back link of an email change (`email` and
    `email_verified` are then the restored ones). A requested email change is not announced
    until the new address is verified."""


@declare("auth.user.email_verified", key=KEY, consumers=_everyone(notifications=RECIPIENT))
class UserEmailVerified(AccountSnapshot):
    """The account's address was verified: the first verification, or a new address replacing
    the old one (`email` is then the new address)."""


@declare("auth.user.role_changed", key=KEY, consumers=_everyone(notifications=RECIPIENT))
class UserRoleChanged(AccountSnapshot):
    """An admin changed the role (or the operator, `manage.py set_role`: `actor` null)."""

    previous_role: Role


@declare(
    "auth.user.banned",
    key=KEY,
    consumers=_everyone(
        social="blocks every page of the user (`owner_banned`)",
        notifications="tells the person (`account_banned`, emailed even if that type is off); "
        "closes their open sockets (4403)",
    ),
)
class UserBanned(AccountSnapshot):
    """A moderator (at most 30 days) or an admin (any length, or permanently) banned the
    account, or replaced its ban with a new one. auth-service has already ended all its
    sessions. Every service refuses the user's still-valid access tokens once it has applied the
    event (its restriction snapshot is at most `COTASK_BLOCKLIST_TTL_SECONDS` old), and treats
    the ban as over at `until` even before `auth.user.unbanned` arrives."""

    until: AwareDatetime | None
    """when the ban ends by itself (ISO 8601 UTC); null = permanent"""
    reason: str
    """shown to the user"""


@declare(
    "auth.user.unbanned",
    key=KEY,
    consumers=_everyone(
        social="lifts the `owner_banned` block only (a page blocked by moderation stays blocked)",
        notifications="tells the person (`account_unbanned`)",
    ),
)
class UserUnbanned(AccountSnapshot):
    """The ban was lifted by a moderator/admin (`actor` set) or ended at its `until` (Celery
    beat task `auth.end_expired_bans`, every minute; `actor` null). The user's old sessions stay
    ended: they log in again."""


@declare(
    "auth.user.deleted",
    key=KEY,
    consumers=_everyone(
        auth="after commit, `cotask_common.forget_user_events` deletes the published outbox "
        "rows that mention the id",
        social="their likes on others' posts and comments are deleted and their comments there "
        "become tombstones (text erased; others' replies stay), every counter corrected as if "
        "they had unliked and deleted them, without an event per item; the reports they filed "
        "and the blocks of them go; their progress settings and the progress mutes by and of "
        "them go; their mentor reviews and mentor profile go (each rating recounted); their "
        "follows and follow requests end (reason "
        "`account_deleted`); their pages go with their posts (`social.page.deleted`, `handle` "
        "and `name` empty); then the published outbox rows that mention the id go",
        media="deletes every file of the user (reason `owner_deleted`, one `media.file.deleted` "
        "each), every upload record of theirs and their audience memberships; then the "
        "published outbox rows that mention the id go",
        tasks="they leave every team room (`tasks.room.left`, reason `account_deleted`; media "
        "access revoked); a room they owned goes to its longest-standing admin, else member, "
        "else viewer (`tasks.room.role_changed`), or is deleted when nobody else is in it "
        "(`tasks.room.deleted`); their personal space is deleted; they are unassigned "
        "(`tasks.task.unassigned`, actor null); their comments become tombstones (text erased, "
        "author null); tasks they created stay, with their author kept as the deleted UserRef",
        habits="their habits go with their check-ins, pauses and reminders "
        "(`habits.habit.deleted` for each)",
        notifications="deletes the person's notifications, preferences, new-post alerts, follow "
        "projection, delivery keys, websocket tickets and stored name and address; closes their "
        "open sockets (4403). In others' inboxes a notification only they caused is deleted (a "
        "`deleted` frame tells open sockets) and a grouped one is recounted without them",
    ),
)
class UserDeleted(TypedDict):
    """The account owner deleted the account (with their password). No personal data travels.
    auth-service has anonymised the row before (`username` `deleted-<hex id>`, email
    `deleted-<hex id>@deleted.invalid`, names emptied, password unusable, inactive, `deleted_at`
    set) and ended every session; the row stays so the id is never reused. The shared handler
    marks the `UserRef` deleted (`is_deleted`, username `deleted-<12 hex>`, display name
    emptied): the user's tokens are refused (`user_deleted`). Still to be written by their
    service, the contract for it: habits deletes their decks and cards."""

    id: UUID
    """the user's id"""


@declare(
    "auth.user.deactivated",
    key=KEY,
    consumers=_everyone(social="blocks every page of the user (`owner_inactive`)"),
)
class UserDeactivated(AccountSnapshot):
    """Staff switched the account off (`is_active` unticked in auth's Django admin, or its
    Deactivate action; both call `services.set_account_active`). It acts like a permanent ban:
    auth has already ended every session (`auth.session.revoked`, reason `deactivated`), login
    and refresh answer 403 `user_inactive`, and every service refuses the user's still-valid
    access tokens (403 `user_inactive`) once the shared handler has set
    `UserRef.is_deactivated`. `actor`: the staff member. `is_active` is false."""


@declare(
    "auth.user.reactivated",
    key=KEY,
    consumers=_everyone(social="lifts the `owner_inactive` block only"),
)
class UserReactivated(AccountSnapshot):
    """Staff switched the account on again; tokens are accepted again (the sessions ended by
    the deactivation stay ended). `is_active` is true."""


@declare(
    "auth.session.revoked",
    key=KEY,
    consumers={
        "notifications": "closes the sessions' open sockets (4401; 4403 for `banned`, "
        "`deleted`, `deactivated`), or every socket of the account with `all_sessions`; their "
        "tickets and tokens (with `all_sessions`, any from before the event) open no socket"
    },
)
class SessionRevoked(TypedDict):
    """Sessions ended (topic `auth.session`), from `services._revoke`, the one function that
    ends them: logout, ending one session, revoke-others, a reused refresh token, staff's "end
    all sessions", a password change or reset, an email change confirmed (the other sessions)
    or undone through the way-back link, a ban, a deactivation, the deletion. One event per
    account; a session already ended is not announced again, but an account-wide reason is
    announced even without a session left to end."""

    user_id: UUID
    """the account (= the key)"""
    session_ids: list[UUID]
    """the sessions that ended now (may be empty with `all_sessions`)"""
    reason: Literal[
        "logout",
        "revoked",
        "others_revoked",
        "refresh_reused",
        "password_changed",
        "password_reset",
        "banned",
        "deactivated",
        "email_changed",
        "email_restored",
        "deleted",
    ]
    all_sessions: bool
    """the account as a whole changed (password, ban, deactivation, deletion, email restored):
    every socket of the account closes, whichever session opened it"""


# auth stores no file ids yet; media already listens for its references.
@declare("auth.media.attached", key=REFERENCE_KEY, consumers=ATTACHED_CONSUMERS)
class MediaAttached(references.MediaAttached):
    """Reserved: an auth object uses these files (none does yet)."""


@declare("auth.media.detached", key=REFERENCE_KEY, consumers=DETACHED_CONSUMERS)
class MediaDetached(references.MediaDetached):
    """Reserved: an auth object no longer uses these files (none does yet)."""
