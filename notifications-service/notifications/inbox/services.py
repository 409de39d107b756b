"""Writes: the account projection, making notifications (idempotent, grouped, per preference),
read state, deletion, preferences, page alerts, websocket tickets and unsubscribing."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cotask_common.errors import NotFound, ServiceError
from cotask_common.i18n import supported_languages
from cotask_common.inserts import insert_if_absent
from cotask_common.roles import Role
from notifications.inbox import hot_sql, selectors
from notifications.inbox.models import (
    CHANNELS,
    Delivery,
    EmailFrequency,
    EmailState,
    EndedSession,
    Notification,
    PageFollow,
    PageSubscription,
    Preference,
    Recipient,
    SocketCutoff,
    WsTicket,
)
from notifications.inbox.types import TYPES, get_type
from notifications.realtime import push

logger = logging.getLogger("cotask.notifications")

UNSUBSCRIBE_SALT = "cotask.notifications.unsubscribe"
ALL_TYPES = "*"
MAX_GROUPED_ACTOR_IDS = 50


@dataclass(frozen=True)
class Target:
    service: str
    kind: str
    id: str


# ---------------------------------------------------------------------------------------------
# The account projection (auth.user.*)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    return value if isinstance(value, datetime) else parse_datetime(str(value))


def ensure_recipient(*, user_id: UUID) -> Recipient:
    recipient, _ = Recipient.objects.get_or_create(id=user_id)
    return recipient


@transaction.atomic
def apply_account_event(
    *, event_type: str, user_id: UUID, data: dict[str, Any], occurred_at: datetime
) -> Recipient:
    ensure_recipient(user_id=user_id)
    recipient = Recipient.objects.select_for_update().get(id=user_id)
    if recipient.source_version and occurred_at < recipient.source_version:
        return recipient  # an older event arriving late changes nothing
    new_email = data.get("email")
    if new_email is not None and new_email != recipient.email and "email_verified" not in data:
        # A new address nobody vouched for is unverified until an event says otherwise.
        recipient.email_verified = False
    for name in ("username", "display_name", "email", "email_verified"):
        if name in data and data[name] is not None:
            setattr(recipient, name, data[name])
    if data.get("language") in supported_languages():
        recipient.language = data["language"]
    if event_type.endswith(".deleted"):
        # Forget what identifies the person; their notifications go with them.
        recipient.is_deleted = True
        recipient.email = ""
        recipient.username = ""
        recipient.display_name = ""
        Notification.objects.filter(recipient=recipient).delete()
        PageSubscription.objects.filter(recipient=recipient).delete()
        PageFollow.objects.filter(user_id=user_id).delete()
        Preference.objects.filter(recipient=recipient).delete()
        Delivery.objects.filter(recipient_id=user_id).delete()
        WsTicket.objects.filter(user_id=user_id).delete()
        # The socket bookkeeping names the account too (a deleted account opens no socket).
        EndedSession.objects.filter(user_id=user_id).delete()
        SocketCutoff.objects.filter(user_id=user_id).delete()
    recipient.source_version = occurred_at
    recipient.save()
    return recipient


def forget_actor(*, user_id: UUID) -> tuple[int, int]:
    """`auth.user.deleted`, in other people's inboxes: a notification only the person caused is
    deleted; a grouped one ("Zed and 3 others liked your post") loses them: the count drops and
    the text is rendered again naming the next actor. Returns (deleted, rewritten); running it
    again finds nothing. Rows from before `params` were stored cannot be rendered again and
    are deleted when the person was among their actors.

    A scan of the notifications that mention the id (deletions are rare; no index is kept for
    them)."""
    person = str(user_id)
    deleted = rewritten = 0
    with transaction.atomic():
        touched = (
            Notification.objects.select_for_update()
            .filter(models.Q(actor_id=user_id) | models.Q(data__icontains=person))
            .exclude(recipient_id=user_id)
            .order_by("recipient_id", "sequence")
        )
        gone: dict[UUID, list[str]] = {}
        for notification in touched:
            data = dict(notification.data or {})
            actor_ids = [str(a) for a in data.get("actor_ids") or []]
            if person not in actor_ids and str(notification.actor_id) != person:
                continue  # the id is somewhere else in `data` (a target), not an actor
            others = [a for a in actor_ids if a != person]
            count = notification.actor_count - 1
            params = data.get("params")
            if count <= 0 or not others or not isinstance(params, dict):
                gone.setdefault(notification.recipient_id, []).append(str(notification.id))
                notification.delete()
                deleted += 1
                continue
            actor = Recipient.objects.filter(id=others[0]).first()
            name = (actor.name if actor and not actor.is_deleted else "") or "CoTask"
            notification.actor_id = UUID(others[0])
            notification.actor_name = name
            notification.actor_count = count
            notification.data = {**data, "actor_ids": others}
            notification.text = get_type(notification.type).render(
                language=notification.language, actor=name, others=count - 1, params=params
            )
            notification.save(
                update_fields=["actor_id", "actor_name", "actor_count", "data", "text"]
            )
            rewritten += 1
        for recipient_id, ids in gone.items():
            _push_read(user_id=recipient_id, ids=ids, deleted=True)
    return deleted, rewritten


def drop_page_alerts(*, page_id: UUID) -> int:
    """A page was deleted: nobody keeps alerts (or its name) for it."""
    deleted, _ = PageSubscription.objects.filter(page_id=page_id).delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# Making notifications


def _group_window() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATIONS_GROUP_WINDOW_SECONDS)


def notify(
    *,
    event_id: UUID,
    recipient_id: UUID,
    type: str,
    actor_id: UUID | None = None,
    actor_name: str = "",
    target: Target | None = None,
    params: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Notification | None:
    """One notification (or one more actor on a grouped one) for `recipient_id` from `event_id`.

    Idempotent on (event id, recipient): a second call with the same pair does nothing and
    returns None. Also None when nobody should be told (the actor themself, a deleted account,
    every channel switched off). Realtime push and immediate email happen after commit.
    """
    notification_type = get_type(type)
    if actor_id is not None and str(actor_id) == str(recipient_id):
        return None  # nobody is notified of their own action
    params = params or {}
    # No savepoint of its own: this runs once per recipient in the event's transaction, and an
    # error fails (and retries) that whole event anyway. Two round trips fewer per notification.
    with transaction.atomic(savepoint=False):
        delivery_id = _claim_delivery(event_id=event_id, recipient_id=recipient_id)
        if delivery_id is None:
            return None
        recipient, channels, known_actor_name = _lock_recipient(
            recipient_id, type=type, actor_id=None if actor_name else actor_id
        )
        if recipient.is_deleted or recipient.actor_deleted:
            # An event of the actor that arrives after their account's deletion (another topic,
            # so in no fixed order with it) tells nobody: they are gone from every inbox.
            return None
        wants_email = _wants_email(recipient=recipient, type=type, channels=channels)
        if not channels["in_app"] and not wants_email:
            return None
        actor_name = actor_name or known_actor_name or "CoTask"
        recipient.last_sequence += 1
        hot_sql.statements().set_sequence.execute(recipient.last_sequence, recipient.id)

        group_key = f"{type}:{target.service}:{target.kind}:{target.id}" if target else ""
        notification = None
        if notification_type.groupable and target:
            since = timezone.now() - _group_window()
            found = hot_sql.statements().open_group.fetch(
                Notification, recipient.id, group_key, channels["in_app"], since
            )
            notification = found[0] if found else None
        if notification is not None:
            actor_ids = notification.data.get("actor_ids", [])
            if actor_id is not None and str(actor_id) not in actor_ids:
                notification.actor_count += 1
                actor_ids = [str(actor_id), *actor_ids][:MAX_GROUPED_ACTOR_IDS]
            notification.data = {
                **notification.data,
                **(data or {}),
                "actor_ids": actor_ids,
                "params": params,
            }
            notification.actor_id = actor_id
            notification.actor_name = actor_name
            notification.sequence = recipient.last_sequence
        else:
            notification = Notification(
                recipient=recipient,
                sequence=recipient.last_sequence,
                type=type,
                actor_id=actor_id,
                actor_name=actor_name,
                target_service=target.service if target else "",
                target_kind=target.kind if target else "",
                target_id=target.id if target else "",
                group_key=group_key,
                # `params` let the text be rendered again when an actor's account is deleted.
                data={
                    **(data or {}),
                    "actor_ids": [str(actor_id)] if actor_id else [],
                    "params": params,
                },
                in_app=channels["in_app"],
                realtime=channels["in_app"] and channels["realtime"],
            )
        notification.language = recipient.language
        notification.text = notification_type.render(
            language=recipient.language,
            actor=actor_name,
            others=notification.actor_count - 1,
            params=params,
        )
        if wants_email and notification_type.email_when_unread:
            # Once per notification: after its email, more messages of the same unread group
            # wait for the person to read them (a read ends the group, and the next one waits).
            if notification.email_state != EmailState.SENT:
                notification.email_state = EmailState.WAITING
        elif wants_email and notification.email_state != EmailState.PENDING:
            digest = (
                notification_type.digest_only or recipient.email_frequency == EmailFrequency.DAILY
            )
            notification.email_state = EmailState.PENDING if digest else EmailState.QUEUED
        if notification._state.adding:
            notification.save(force_insert=True)
        else:
            hot_sql.regroup(notification)
        hot_sql.statements().link_delivery.execute(notification.id, delivery_id)

        if notification.email_state == EmailState.QUEUED:
            from notifications.inbox import tasks  # the task module imports this one

            notification_id = notification.id
            transaction.on_commit(lambda: tasks.send_notification_email.delay(str(notification_id)))
        if notification.realtime:
            message = selectors.push_message(notification=notification)
            transaction.on_commit(lambda: push.send_to_user(user_id=recipient_id, message=message))
    return notification


def _claim_delivery(*, event_id: UUID, recipient_id: UUID) -> int | None:
    """Insert the (event, recipient) Delivery row and return its id; None if it exists (this
    event already told this person). No savepoint needed: see `insert_if_absent`."""
    return insert_if_absent(
        Delivery,
        values={"event_id": event_id, "recipient_id": recipient_id, "created_at": timezone.now()},
        conflict=["event_id", "recipient_id"],
        using=Delivery.objects.db,
    )


def _lock_recipient(
    recipient_id: UUID, *, type: str, actor_id: UUID | None
) -> tuple[Recipient, dict[str, bool], str]:
    """The recipient's row, locked (the lock serialises notifications of one person, so
    sequences commit in order), with their channels for `type` and the actor's display name,
    in one query."""
    lock = hot_sql.statements().lock_recipient
    # Recipient rows carrying the extra columns the statement selects (pref_*, actor_*).
    found: list[Any] = lock.fetch(Recipient, type, actor_id, recipient_id)
    if not found:
        ensure_recipient(user_id=recipient_id)
        found = lock.fetch(Recipient, type, actor_id, recipient_id)
    recipient = found[0]
    if recipient.pref_in_app is None:  # no saved preference: the type's defaults
        defaults = get_type(type)
        channels = {channel: getattr(defaults, channel) for channel in CHANNELS}
    else:
        channels = {channel: bool(getattr(recipient, f"pref_{channel}")) for channel in CHANNELS}
    actor_name = (
        (recipient.actor_display_name or recipient.actor_username or "") if actor_id else ""
    )
    return recipient, channels, actor_name


def can_email(recipient: Recipient) -> bool:
    """Whether any notification email may go to the person at all: never to an address they
    have not verified (it may be someone else's), nor to a deleted account or one that
    switched emails off. The in-app notification is made either way."""
    return (
        bool(recipient.email)
        and recipient.email_verified
        and not recipient.is_deleted
        and recipient.email_frequency != EmailFrequency.OFF
    )


def _wants_email(*, recipient: Recipient, type: str, channels: dict[str, bool]) -> bool:
    if not can_email(recipient):
        return False
    return channels["email"] or get_type(type).mandatory


# ---------------------------------------------------------------------------------------------
# Read state and deletion


def _own(*, user_id: UUID, notification_id: UUID) -> Notification:
    # Another person's notification is "not found": its existence is not disclosed.
    notification = Notification.objects.filter(
        id=notification_id, recipient_id=user_id, in_app=True
    ).first()
    if notification is None:
        raise NotFound(_("No such notification."), code="notification_not_found")
    return notification


def mark_read(*, user_id: UUID, notification_id: UUID) -> Notification:
    with transaction.atomic():
        notification = _own(user_id=user_id, notification_id=notification_id)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at", "updated_at"])
            _push_read(user_id=user_id, ids=[str(notification.id)])
    return notification


def mark_all_read(*, user_id: UUID, up_to_sequence: int | None = None) -> int:
    """Everything unread (up to `up_to_sequence`, what the client has seen, if given)."""
    with transaction.atomic():
        unread = Notification.objects.filter(recipient_id=user_id, read_at=None, in_app=True)
        if up_to_sequence is not None:
            unread = unread.filter(sequence__lte=up_to_sequence)
        count = unread.update(read_at=timezone.now(), updated_at=timezone.now())
        if count:
            _push_read(user_id=user_id, ids=None)
    return count


def conversation_read(*, user_id: UUID, conversation_id: UUID, message_id: UUID | None) -> int:
    """social-service says the person read a conversation up to `message_id`: their chat
    notification of it is read (and no email will tell of it), unless a later message joined
    it meanwhile (message ids are UUIDv7: they sort by time)."""
    group_key = f"chat_message:social:conversation:{conversation_id}"
    with transaction.atomic():
        unread = Notification.objects.filter(
            recipient_id=user_id, group_key=group_key, read_at=None
        )
        ids = [
            notification.id
            for notification in unread
            if message_id is None or not _later_message(notification, message_id)
        ]
        if not ids:
            return 0
        now = timezone.now()
        Notification.objects.filter(id__in=ids, email_state=EmailState.WAITING).update(
            email_state=EmailState.NONE
        )
        Notification.objects.filter(id__in=ids).update(read_at=now, updated_at=now)
        _push_read(user_id=user_id, ids=[str(i) for i in ids])
    return len(ids)


def _later_message(notification: Notification, read_up_to: UUID) -> bool:
    try:
        newest = UUID(str(notification.data.get("message_id")))
    except ValueError:
        return False
    return newest.int > read_up_to.int


def delete_notification(*, user_id: UUID, notification_id: UUID) -> None:
    with transaction.atomic():
        notification = _own(user_id=user_id, notification_id=notification_id)
        notification.delete()
        _push_read(user_id=user_id, ids=[str(notification_id)], deleted=True)


def take_back(*, notifications: models.QuerySet[Notification]) -> int:
    """Delete these notifications (of any recipients), unread or not, and tell each recipient's
    open sockets which ones went, as if they deleted them (an ex-member's notices about a room,
    a deleted room's). Their pending digest emails go with them. Returns how many."""
    with transaction.atomic():
        gone: dict[UUID, list[str]] = {}
        for notification_id, recipient_id in notifications.values_list("id", "recipient_id"):
            gone.setdefault(recipient_id, []).append(str(notification_id))
        if not gone:
            return 0
        ids = [i for found in gone.values() for i in found]
        Notification.objects.filter(id__in=ids).delete()
        for recipient_id, found in gone.items():
            _push_read(user_id=recipient_id, ids=found, deleted=True)
    return len(ids)


def _push_read(*, user_id: UUID, ids: list[str] | None, deleted: bool = False) -> None:
    """Other tabs and devices update their badge; the cursor is the current one, not a new one."""

    def send() -> None:
        message = {
            "type": "deleted" if deleted else "read",
            "ids": ids,
            "all": ids is None,
            "unread_count": selectors.unread_count(user_id=user_id),
            "cursor": selectors.current_cursor(user_id=user_id),
        }
        push.send_to_user(user_id=user_id, message=message)

    transaction.on_commit(send)


# ---------------------------------------------------------------------------------------------
# Preferences


def update_preferences(
    *,
    user_id: UUID,
    types: dict[str, dict[str, bool]] | None = None,
    email_frequency: str | None = None,
    chat_email_delay_minutes: int | None = None,
) -> Recipient:
    unknown = sorted(set(types or {}) - set(TYPES))
    if unknown:
        raise ServiceError.for_field(
            "types",
            ngettext(
                "Unknown notification type: %(unknown)s. Known: %(known)s.",
                "Unknown notification types: %(unknown)s. Known: %(known)s.",
                len(unknown),
            )
            % {"unknown": ", ".join(unknown), "known": ", ".join(TYPES)},
            code="unknown_type",
        )
    with transaction.atomic():
        ensure_recipient(user_id=user_id)
        recipient = Recipient.objects.select_for_update().get(id=user_id)
        if email_frequency is not None:
            recipient.email_frequency = email_frequency
            recipient.save(update_fields=["email_frequency"])
        if chat_email_delay_minutes is not None:
            recipient.chat_email_delay_minutes = chat_email_delay_minutes
            recipient.save(update_fields=["chat_email_delay_minutes"])
        for type, channels in (types or {}).items():
            current = selectors.preference_for(recipient=recipient, type=type)
            current.update({k: bool(v) for k, v in channels.items() if k in CHANNELS})
            Preference.objects.update_or_create(recipient=recipient, type=type, defaults=current)
    return recipient


def _page_not_found(page_id: UUID) -> NotFound:
    # One answer for a page that does not exist and one the person may not follow (private,
    # blocked them, never followed): nothing tells them which.
    return NotFound(
        _("No page with the id %(id)s that you follow.") % {"id": page_id}, code="page_not_found"
    )


def subscribe_page(*, user_id: UUID, page_id: UUID, page_name: str = "") -> PageSubscription:
    """New-post alerts for a page the person follows (an approved follow, as social announced
    it); anything else is answered as a page that does not exist. The follow's row is locked,
    so an unfollow handled at the same time either comes first (and this answers 404) or drops
    the subscription made here."""
    with transaction.atomic():
        follow = (
            PageFollow.objects.select_for_update()
            .filter(page_id=page_id, user_id=user_id, active=True)
            .first()
        )
        if follow is None:
            raise _page_not_found(page_id)
        recipient = ensure_recipient(user_id=user_id)
        subscription, _created = PageSubscription.objects.update_or_create(
            recipient=recipient,
            page_id=page_id,
            defaults={"page_name": follow.page_name or page_name},
        )
    return subscription


def unsubscribe_page(*, user_id: UUID, page_id: UUID) -> None:
    deleted, _count = PageSubscription.objects.filter(
        recipient_id=user_id, page_id=page_id
    ).delete()
    if not deleted:
        raise NotFound(_("You have no new-post alerts for this page."), code="not_subscribed")


def drop_page_subscription(*, user_id: UUID, page_id: UUID) -> None:
    """After an unfollow, a removal or a block: alerts for a page one no longer follows stop."""
    PageSubscription.objects.filter(recipient_id=user_id, page_id=page_id).delete()


def apply_follow_event(
    *,
    page_id: UUID,
    user_id: UUID,
    active: bool,
    occurred_at: datetime,
    page_name: str | None = None,
) -> PageFollow:
    """The follow projection (`social.follow.*`, `social.page.user_blocked`): idempotent, and an
    event older than the newest one applied to the pair changes nothing. A follow that ends
    takes the person's new-post alerts for the page with it."""
    with transaction.atomic():
        follow, created = PageFollow.objects.select_for_update().get_or_create(
            page_id=page_id,
            user_id=user_id,
            defaults={
                "active": active,
                # An ended follow keeps no name: it renders nothing, and the page (or its owner)
                # may be gone (a deleted account's name must not stay here).
                "page_name": (page_name or "")[:200] if active else "",
                "source_version": occurred_at,
            },
        )
        if not created:
            if occurred_at < follow.source_version:
                return follow
            follow.active = active
            follow.source_version = occurred_at
            if not active:
                follow.page_name = ""
            elif page_name:
                follow.page_name = page_name[:200]
            follow.save(update_fields=["active", "source_version", "page_name"])
        if not active:
            drop_page_subscription(user_id=user_id, page_id=page_id)
    return follow


def apply_page_event(
    *, page_id: UUID, deleted: bool, occurred_at: datetime, page_name: str | None = None
) -> None:
    """`social.page.updated` renames the page in alerts; `social.page.deleted` ends every follow
    of it and every alert for it."""
    with transaction.atomic():
        if deleted:
            PageFollow.objects.filter(page_id=page_id).update(
                active=False, source_version=occurred_at, page_name=""
            )
            PageSubscription.objects.filter(page_id=page_id).delete()
        elif page_name:
            PageFollow.objects.filter(page_id=page_id).update(page_name=page_name[:200])
            PageSubscription.objects.filter(page_id=page_id).update(page_name=page_name[:200])


# ---------------------------------------------------------------------------------------------
# Email unsubscribe (signed link, no login)


def unsubscribe_token(*, user_id: UUID, type: str = ALL_TYPES) -> str:
    # No expiry: a link in an old email must still work; it can only switch emails off.
    return signing.dumps({"u": str(user_id), "t": type}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(*, token: str) -> tuple[UUID, str]:
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, type = UUID(payload["u"]), payload["t"]
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ServiceError.for_field(
            "token", _("This unsubscribe link is invalid."), code="invalid_token"
        ) from exc
    if type != ALL_TYPES and type not in TYPES:
        raise ServiceError.for_field(
            "token", _("This unsubscribe link is invalid."), code="invalid_token"
        )
    return user_id, type


def unsubscribe(*, token: str) -> tuple[UUID, str]:
    user_id, type = read_unsubscribe_token(token=token)
    if type == ALL_TYPES:
        update_preferences(user_id=user_id, email_frequency=EmailFrequency.OFF)
    else:
        update_preferences(user_id=user_id, types={type: {"email": False}})
    return user_id, type


# ---------------------------------------------------------------------------------------------
# Websocket tickets


@dataclass(frozen=True)
class TicketUser:
    id: UUID
    username: str
    role: Role
    session_id: str = ""
    # When the access token that asked for the ticket expires: the socket closes then.
    access_expires_at: datetime | None = None
    issued_at: datetime | None = None
    # The `lang` claim of the token that asked for the ticket: the socket speaks it.
    language: str = ""


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ws_ticket(
    *,
    user_id: UUID,
    username: str,
    role: str,
    session_id: str | None = None,
    access_expires_at: datetime | None = None,
    token_issued_at: datetime | None = None,
    language: str = "en",
    token_language: str = "",
) -> tuple[str, int]:
    """A single-use ticket for `/ws/`, bound to the session (`sid`) and the expiry of the token
    that asks for it. Refused when auth ended that session, or changed the account after the
    token was signed (`token_issued_at`); the refusal is in `language`. The socket it opens
    speaks `token_language` (the token's `lang` claim) when there is one."""
    from notifications.realtime.selectors import normalize_session_id, socket_refused
    from notifications.realtime.texts import text

    if socket_refused(
        user_id=user_id, session_id=session_id, issued_at=token_issued_at or timezone.now()
    ):
        raise ServiceError(
            text("session_revoked", language=language),
            code="session_revoked",
            status_code=401,
        )
    ticket = secrets.token_urlsafe(32)
    ttl = settings.NOTIFICATIONS_WS_TICKET_TTL_SECONDS
    WsTicket.objects.create(
        digest=_digest(ticket),
        user_id=user_id,
        username=username,
        role=role,
        expires_at=timezone.now() + timedelta(seconds=ttl),
        session_id=normalize_session_id(session_id) if session_id else "",
        access_expires_at=access_expires_at,
        language=(token_language or "")[:8],
    )
    return ticket, ttl


def redeem_ws_ticket(*, ticket: str) -> TicketUser | None:
    """The ticket's user, once: the row is deleted, and only the deleter that removed it wins.
    None too when its session ended or the account changed after it was issued."""
    from notifications.realtime.selectors import socket_refused

    if not ticket or len(ticket) > 200:
        return None
    row = WsTicket.objects.filter(digest=_digest(ticket)).first()
    if row is None:
        return None
    deleted, _ = WsTicket.objects.filter(digest=row.digest).delete()
    if not deleted or row.expires_at <= timezone.now():
        return None
    if socket_refused(user_id=row.user_id, session_id=row.session_id, issued_at=row.issued_at):
        return None
    return TicketUser(
        id=row.user_id,
        username=row.username,
        role=Role.parse(row.role),
        session_id=row.session_id,
        access_expires_at=row.access_expires_at,
        issued_at=row.issued_at,
        language=row.language,
    )


def cleanup_deliveries(*, older_than_days: int | None = None, batch: int = 5000) -> int:
    """Forget (event, recipient) keys older than the retention: an event is not redelivered
    that late (the consumer forgets its processed events after 30 days too). In batches, so
    no single transaction holds a day's rows."""
    days = (
        settings.NOTIFICATIONS_DELIVERY_RETENTION_DAYS
        if older_than_days is None
        else older_than_days
    )
    old = Delivery.objects.filter(created_at__lt=timezone.now() - timedelta(days=days))
    deleted = 0
    while ids := list(old.values_list("id", flat=True)[:batch]):
        deleted += Delivery.objects.filter(id__in=ids).delete()[0]
    return deleted


def cleanup_ws_tickets() -> int:
    """Expired tickets, and ended sessions older than any access token (same beat task)."""
    from notifications.realtime.services import cleanup_ended_sessions

    deleted, _ = WsTicket.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted + cleanup_ended_sessions()
