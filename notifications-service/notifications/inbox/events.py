"""Event handlers: one per event type, each deciding who is told what.

Other services' events (tasks, habits, chat) get their own handlers here or in their own app's
`events.py` with `@event_handler(...)`, plus a `NotificationType` in `types.py`. Every handler is
idempotent twice over: the consumer skips an event id it processed, and `services.notify` skips an
(event id, recipient) pair it already delivered.

The `social.*` data is declared in cotask_common/contracts/social.py (docs/events.md, generated);
a key that is missing makes the handler notify fewer people, never fail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_lazy

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from cotask_common.localtime import format_moment
from cotask_common.users.models import UserRef
from notifications.inbox import selectors, services
from notifications.inbox.services import Target
from notifications.inbox.types import ACTIONS, REPORT_OUTCOMES, WHAT, in_every_language, word
from notifications.realtime import push
from notifications.realtime import services as realtime_services
from notifications.realtime.consumers import CLOSE_FORBIDDEN

logger = logging.getLogger("cotask.notifications")


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _uuids(values: Any) -> list[UUID]:
    if not isinstance(values, list | tuple):
        return []
    return [u for u in (_uuid(v) for v in values) if u is not None]


def _addressed(data: dict[str, Any], recipient: UUID | None) -> bool:
    """social names in `recipient_ids` everyone an event should reach (docs/events.md#social):
    when the key is there, nobody outside it is told (a follow that became active through the
    owner's own approval, a like of one's own post). Without it the handler's choice stands.
    Local opt-ins (new-post alerts) are not social's to list and are not filtered."""
    if recipient is None:
        return False
    listed = data.get("recipient_ids")
    if not isinstance(listed, list | tuple):
        return True
    return recipient in set(_uuids(listed))


def _actor(event: Event) -> UUID | None:
    return _uuid(event.actor) or _uuid(event.data.get("actor_id"))


def _notify_by_table(
    event: Event,
    notices: dict[str, tuple[str, str, str]],
    *,
    target: Target,
    params: dict[str, Any],
    data: dict[str, Any],
) -> None:
    """Tell the one person `notices[event.type]` names: (notification type, the key in the
    event's data of whose id is told, the key of the actor's id)."""
    notification_type, recipient_key, actor_key = notices[event.type]
    recipient = _uuid(event.data.get(recipient_key))
    if recipient is None or not _addressed(event.data, recipient):
        return
    services.notify(
        event_id=event.id,
        recipient_id=recipient,
        type=notification_type,
        actor_id=_uuid(event.data.get(actor_key)) or _actor(event),
        target=target,
        params=params,
        data=data,
    )


def _notify_each(event: Event, recipients: Iterable[UUID | None], **kwargs: Any) -> None:
    seen: set[UUID] = set()
    for recipient in recipients:
        if recipient is None or recipient in seen:
            continue
        seen.add(recipient)
        services.notify(event_id=event.id, recipient_id=recipient, **kwargs)


# ---------------------------------------------------------------------------------------------
# auth


@event_handler(
    "auth.user.registered",
    "auth.user.updated",
    "auth.user.email_verified",
    "auth.user.role_changed",
    "auth.user.deleted",
)
def on_account(event: Event) -> None:
    services.apply_account_event(
        event_type=event.type,
        user_id=UUID(str(event.key)),
        data=event.data,
        occurred_at=event.occurred_at,
    )
    if event.type == "auth.user.deleted":
        # Their name leaves other people's inboxes too (grouped notices are recounted).
        services.forget_actor(user_id=UUID(str(event.key)))
        user_id = event.key
        transaction.on_commit(
            lambda: push.close_user_sockets(user_id=user_id, code=CLOSE_FORBIDDEN, reason="deleted")
        )


def _until(value: Any, *, user_id: UUID) -> dict[str, str]:
    """The end of a ban in every language, in the person's time zone (their UserRef's)."""
    until = parse_datetime(str(value)) if value else None
    if until is None:
        return in_every_language(gettext_lazy("permanently"))
    zone = UserRef.objects.filter(id=user_id).values_list("time_zone", flat=True).first()
    words = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            moment = format_moment(until, time_zone=zone)
            words[language] = gettext("until %(moment)s") % {"moment": moment}
    return words


@event_handler("auth.user.banned")
def on_banned(event: Event) -> None:
    """The shared UserRef handler (run first) records the ban; here: tell the person by email and
    close every open socket of theirs at once."""
    user_id = UUID(str(event.key))
    services.apply_account_event(
        event_type=event.type, user_id=user_id, data=event.data, occurred_at=event.occurred_at
    )
    services.notify(
        event_id=event.id,
        recipient_id=user_id,
        type="account_banned",
        target=Target(service="auth", kind="user", id=str(user_id)),
        params={
            "until": _until(event.data.get("until"), user_id=user_id),
            "reason": event.data.get("reason") or "—",
        },
        data={"until": event.data.get("until"), "reason": event.data.get("reason", "")},
    )
    transaction.on_commit(
        lambda: push.close_user_sockets(user_id=user_id, code=CLOSE_FORBIDDEN, reason="banned")
    )


@event_handler("auth.user.unbanned")
def on_unbanned(event: Event) -> None:
    user_id = UUID(str(event.key))
    services.apply_account_event(
        event_type=event.type, user_id=user_id, data=event.data, occurred_at=event.occurred_at
    )
    services.notify(
        event_id=event.id,
        recipient_id=user_id,
        type="account_unbanned",
        target=Target(service="auth", kind="user", id=str(user_id)),
    )


@event_handler("auth.session.revoked")
def on_sessions_ended(event: Event) -> None:
    """A session ended in auth-service (logout, revocation, a reused refresh token), or all of an
    account's (password change or reset, ban, deletion, deactivation: `all_sessions`): the
    sockets opened with its tickets and tokens close, and no new ones open."""
    user_id = _uuid(event.data.get("user_id")) or _uuid(event.key)
    if user_id is None:
        return
    session_ids = event.data.get("session_ids")
    realtime_services.end_sessions(
        user_id=user_id,
        session_ids=[str(s) for s in session_ids] if isinstance(session_ids, list) else [],
        all_sessions=bool(event.data.get("all_sessions")),
        reason=str(event.data.get("reason") or "session_revoked"),
        at=event.occurred_at,
    )


# ---------------------------------------------------------------------------------------------
# social


def _page(data: dict[str, Any]) -> str | dict[str, str]:
    name = data.get("page_name") or data.get("page_handle")
    return str(name) if name else in_every_language(gettext_lazy("your page"))


# Follow events: (notification type, whose id in `data` is told, whose id is the actor).
_FOLLOW_NOTICES = {
    "social.follow.created": ("follower", "page_owner_id", "follower_id"),
    "social.follow.requested": ("follow_request", "page_owner_id", "follower_id"),
    "social.follow.approved": ("follow_approved", "follower_id", "page_owner_id"),
}


@event_handler(*_FOLLOW_NOTICES)
def on_follow(event: Event) -> None:
    data = event.data
    _notify_by_table(
        event,
        _FOLLOW_NOTICES,
        target=Target(service="social", kind="page", id=str(data.get("page_id", ""))),
        params={"page": _page(data)},
        data={"page_id": data.get("page_id")},
    )


# The follow projection new-post alerts are checked against: an approved follow (a public page's
# included) starts with `social.follow.created`; it ends with `.removed` (unfollow, removal by
# the owner, a block, account deletion) and a request with `.rejected`.
_FOLLOW_STATE = {
    "social.follow.created": True,
    "social.follow.approved": True,
    "social.follow.removed": False,
    "social.follow.rejected": False,
}


@event_handler(*_FOLLOW_STATE)
def on_follow_state(event: Event) -> None:
    follower = _uuid(event.data.get("follower_id") or event.data.get("user_id"))
    page = _uuid(event.data.get("page_id"))
    if follower and page:
        services.apply_follow_event(
            page_id=page,
            user_id=follower,
            active=_FOLLOW_STATE[event.type],
            occurred_at=event.occurred_at,
            page_name=event.data.get("page_name"),
        )


@event_handler("social.page.user_blocked")
def on_user_blocked(event: Event) -> None:
    """A block ends the follow (social also announces `.removed`; either may come first)."""
    user, page = _uuid(event.data.get("user_id")), _uuid(event.data.get("page_id"))
    if user and page:
        services.apply_follow_event(
            page_id=page, user_id=user, active=False, occurred_at=event.occurred_at
        )


@event_handler("social.page.updated", "social.page.deleted")
def on_page(event: Event) -> None:
    page = _uuid(event.data.get("id")) or _uuid(event.key)
    if page:
        services.apply_page_event(
            page_id=page,
            deleted=event.type == "social.page.deleted",
            occurred_at=event.occurred_at,
            page_name=event.data.get("name"),
        )


@event_handler("social.page.deleted")
def on_page_deleted(event: Event) -> None:
    page = _uuid(event.data.get("id") or event.key)
    if page:
        services.drop_page_alerts(page_id=page)


@event_handler("social.like.created")
def on_like(event: Event) -> None:
    data = event.data
    # `target_type` is in v1 and v2 (v1's alias `target_kind` is retired; docs/events.md).
    kind = data.get("target_type") or ("comment" if data.get("comment_id") else "post")
    target_id = data.get("target_id") or data.get("comment_id") or data.get("post_id")
    recipient = _uuid(data.get("target_author_id"))
    if not _addressed(data, recipient) or not target_id:
        return
    services.notify(
        event_id=event.id,
        recipient_id=recipient,
        type="like",
        actor_id=_uuid(data.get("user_id")) or _actor(event),
        target=Target(service="social", kind=kind, id=str(target_id)),
        params={"what": word(WHAT, kind, default="post")},
        data={"post_id": data.get("post_id"), "comment_id": data.get("comment_id")},
    )


# social.mentor.reviewed tells the mentor; social.review.answered, the review's author.
_REVIEW_NOTICES = {
    "social.mentor.reviewed": ("mentor_reviewed", "mentor_user_id", "student_id"),
    "social.review.answered": ("review_answered", "student_id", "mentor_user_id"),
}


@event_handler(*_REVIEW_NOTICES)
def on_review(event: Event) -> None:
    data = event.data
    _notify_by_table(
        event,
        _REVIEW_NOTICES,
        target=Target(service="social", kind="review", id=str(data.get("review_id", ""))),
        params={"rating": data.get("rating", "")},
        data={
            "review_id": data.get("review_id"),
            "mentor_id": data.get("mentor_id"),
            "mentor_handle": data.get("mentor_handle"),
        },
    )


# social.learning_request.offered tells the request's author; .matched, each mentor it names
# (social caps them at SOCIAL_LEARNING_MATCH_NOTIFY).
_LEARNING_NOTICES = {
    "social.learning_request.offered": ("learning_offer", "student_id", "mentor_user_id"),
}


def _learning_target(data: dict[str, Any]) -> Target:
    return Target(service="social", kind="learning_request", id=str(data.get("request_id", "")))


@event_handler(*_LEARNING_NOTICES)
def on_learning_offer(event: Event) -> None:
    data = event.data
    _notify_by_table(
        event,
        _LEARNING_NOTICES,
        target=_learning_target(data),
        params={},
        data={
            "request_id": data.get("request_id"),
            "offer_id": data.get("offer_id"),
            "mentor_id": data.get("mentor_id"),
            "mentor_handle": data.get("mentor_handle"),
        },
    )


@event_handler("social.learning_request.matched")
def on_learning_request_matched(event: Event) -> None:
    data = event.data
    _notify_each(
        event,
        _uuids(data.get("recipient_ids")),
        type="learning_request_match",
        actor_id=_uuid(data.get("student_id")) or _actor(event),
        target=_learning_target(data),
        data={"request_id": data.get("request_id"), "subject": data.get("subject")},
    )


@event_handler("social.comment.created")
def on_comment(event: Event) -> None:
    """One comment may tell three kinds of people: the post's author (comment), the parent
    comment's author (reply), and everyone mentioned. Each person is told once, the most
    specific way: a reply beats a comment notice, both beat a mention."""
    data = event.data
    actor = _uuid(data.get("author_id")) or _actor(event)
    post_id = str(data.get("post_id", ""))
    comment_id = str(data.get("id") or event.key)
    common: dict[str, Any] = {
        "actor_id": actor,
        "data": {"post_id": post_id, "comment_id": comment_id},
    }
    told: set[UUID] = set()
    parent_author = _uuid(data.get("parent_author_id"))
    if parent_author and data.get("parent_id") and _addressed(data, parent_author):
        services.notify(
            event_id=event.id,
            recipient_id=parent_author,
            type="reply",
            target=Target(service="social", kind="comment", id=str(data["parent_id"])),
            params={"what": word(WHAT, "comment")},
            **common,
        )
        told.add(parent_author)
    post_author = _uuid(data.get("post_author_id"))
    if post_author and post_author not in told and _addressed(data, post_author):
        services.notify(
            event_id=event.id,
            recipient_id=post_author,
            type="comment",
            target=Target(service="social", kind="post", id=post_id),
            **common,
        )
        told.add(post_author)
    _notify_each(
        event,
        [
            m
            for m in _uuids(data.get("mentioned_user_ids"))
            if m not in told and _addressed(data, m)
        ],
        type="mention",
        target=Target(service="social", kind="comment", id=comment_id),
        **common,
    )


@event_handler("social.post.created")
def on_post(event: Event) -> None:
    """A reply (`reply_to_author_id`) tells the replied post's author; mentions tell the
    mentioned; the page's new-post alerts go to those who asked for them here (local state:
    a page with many followers needs no recipient list in the event)."""
    data = event.data
    actor = _uuid(data.get("author_id")) or _actor(event)
    post_id = str(data.get("id") or event.key)
    common: dict[str, Any] = {
        "actor_id": actor,
        "data": {"post_id": post_id, "page_id": data.get("page_id")},
    }
    told: set[UUID] = set()
    replied = _uuid(data.get("reply_to_author_id"))
    if replied and _addressed(data, replied):
        services.notify(
            event_id=event.id,
            recipient_id=replied,
            type="reply",
            target=Target(service="social", kind="post", id=str(data.get("reply_to_id", ""))),
            params={"what": word(WHAT, "post")},
            **common,
        )
        told.add(replied)
    mentioned = [
        m for m in _uuids(data.get("mentioned_user_ids")) if m not in told and _addressed(data, m)
    ]
    _notify_each(
        event,
        mentioned,
        type="mention",
        target=Target(service="social", kind="post", id=post_id),
        **common,
    )
    told.update(mentioned)
    page_id = _uuid(data.get("page_id"))
    if page_id:
        _notify_each(
            event,
            [s for s in selectors.page_subscribers(page_id=page_id) if s not in told],
            type="new_post",
            target=Target(service="social", kind="post", id=post_id),
            params={"page": _page(data)},
            **common,
        )


@event_handler(
    "social.moderation.post_removed",
    "social.moderation.comment_removed",
    "social.moderation.page_blocked",
    "social.moderation.page_unblocked",
)
def on_moderation(event: Event) -> None:
    data = event.data
    recipient = _uuid(data.get("target_owner_id"))
    if not _addressed(data, recipient):
        return
    verb = event.type.rsplit(".", 1)[-1]
    kind = data.get("target_type") or verb.split("_", 1)[0]  # v1 and v2 (not `target_kind`)
    action = data.get("action") or verb.split("_", 1)[-1]
    services.notify(
        event_id=event.id,
        recipient_id=recipient,
        type="moderation",
        # The moderator is not named to the person moderated.
        target=Target(service="social", kind=str(kind), id=str(data.get("target_id") or event.key)),
        params={
            "action": word(ACTIONS, action),
            "what": word(WHAT, kind),
            "reason": data.get("reason") or "—",
        },
        data={"action": action, "reason": data.get("reason", ""), "until": data.get("until")},
    )


@event_handler("social.moderation.report_resolved")
def on_report_resolved(event: Event) -> None:
    data = event.data
    reporter = _uuid(data.get("reporter_id"))
    if not _addressed(data, reporter):
        return
    outcome = str(data.get("outcome") or "none")
    services.notify(
        event_id=event.id,
        recipient_id=reporter,
        type="report_resolved",
        # Like other moderation notices, the moderator is not named.
        target=Target(service="social", kind="report", id=str(data.get("report_id") or event.key)),
        params={"outcome": word(REPORT_OUTCOMES, outcome)},
        data={"report_id": data.get("report_id"), "outcome": outcome},
    )


# ---------------------------------------------------------------------------------------------
# media (docs/events.md#media): the owner hears when a lesson video is converted, or is not.


@event_handler("media.video.ready", "media.video.failed")
def on_video(event: Event) -> None:
    data = event.data
    owner, file_id = _uuid(data.get("owner_id")), _uuid(data.get("id")) or _uuid(event.key)
    if owner is None or file_id is None:
        return
    ready = event.type == "media.video.ready"
    services.notify(
        event_id=event.id,
        recipient_id=owner,
        type="video_ready" if ready else "video_failed",
        target=Target(service="media", kind="file", id=str(file_id)),
        params={"video": str(data.get("filename") or "")},
        data={"file_id": str(file_id), **({} if ready else {"code": data.get("code")})},
    )
