"""social-service's chat events (`social.chat.*`, declared in cotask_common/contracts/social.py):
each becomes a `chat` frame on the open sockets of the people in `member_ids` (and, for a
membership change, `removed_ids`, told once), in their cursor sequence. A new message also
notifies the members in `recipient_ids` (not muted, not the author) who have no socket open,
grouped per conversation."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from cotask_common.events.consumer import event_handler
from cotask_common.events.envelope import Event
from notifications.chat import selectors, services
from notifications.inbox import services as inbox
from notifications.inbox.services import Target

# What a frame never carries: who else gets it (the person knows they are a member) and who
# would be notified.
NOT_IN_FRAMES = ("member_ids", "recipient_ids")


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _uuids(values: Any) -> list[UUID]:
    if not isinstance(values, list | tuple):
        return []
    return [u for u in (_uuid(v) for v in values) if u is not None]


def _frame(event: Event, *, extra_ids: list[UUID] | None = None) -> UUID | None:
    conversation = _uuid(event.data.get("conversation_id")) or _uuid(event.key)
    if conversation is None:
        return None
    payload = {k: v for k, v in event.data.items() if k not in NOT_IN_FRAMES}
    services.push_frames(
        event_id=event.id,
        event=event.type.rsplit(".", 1)[-1],
        conversation_id=conversation,
        user_ids=[*_uuids(event.data.get("member_ids")), *(extra_ids or [])],
        payload=payload,
    )
    return conversation


@event_handler("social.chat.members_changed")
def on_members_changed(event: Event) -> None:
    removed = _uuids(event.data.get("removed_ids"))
    conversation = _frame(event, extra_ids=removed)
    if conversation is not None:
        # Who left hears nothing more of it: not even the email of what waited unread.
        for person in removed:
            inbox.conversation_read(user_id=person, conversation_id=conversation, message_id=None)
        services.apply_members(
            conversation_id=conversation,
            member_ids=_uuids(event.data.get("member_ids")),
            occurred_at=event.occurred_at,
        )


@event_handler(
    "social.chat.message_edited",
    "social.chat.message_deleted",
    "social.chat.reaction_changed",
)
def on_chat_change(event: Event) -> None:
    _frame(event)


@event_handler("social.chat.read")
def on_read(event: Event) -> None:
    """The frame (a read receipt, the reader's other devices), and the reader's notification
    of the conversation is read: no email will tell of messages they have seen."""
    conversation = _frame(event)
    reader = _uuid(event.data.get("user_id"))
    if conversation is not None and reader is not None:
        inbox.conversation_read(
            user_id=reader,
            conversation_id=conversation,
            message_id=_uuid(event.data.get("message_id")),
        )


@event_handler("social.chat.message_created")
def on_message(event: Event) -> None:
    conversation = _frame(event)
    if conversation is None:
        return
    data = event.data
    author = _uuid(data.get("author_id"))
    recipients = [u for u in _uuids(data.get("recipient_ids")) if u != author]
    present = selectors.online(user_ids=recipients)
    offline = [u for u in recipients if u not in present]
    name = str(data.get("conversation_name") or "")
    for recipient in offline:
        inbox.notify(
            event_id=event.id,
            recipient_id=recipient,
            type="chat_message",
            actor_id=author,
            actor_name=str(data.get("author_name") or ""),
            target=Target(service="social", kind="conversation", id=str(conversation)),
            params={"conversation": name},
            data={"conversation_id": str(conversation), "message_id": data.get("message_id")},
        )


@event_handler("auth.user.deleted")
def on_account_deleted(event: Event) -> None:
    """The person's chat frames go, and every frame quoting them (their messages, their
    reactions) from other people's replay windows; social-service erases the messages
    themselves. The membership projection and presence rows go too."""
    user_id = _uuid(event.key)
    if user_id is not None:
        services.forget_user(user_id=user_id)
