"""Writes on conversations, members, messages and reactions. Every change that a member's open
sockets should see is announced as a `social.chat.*` event (key: the conversation), published in
the change's transaction through the outbox; `member_ids` names whose sockets get it (active
members only: a person who left receives nothing more)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from cotask_common.errors import Conflict, Forbidden, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.media_access import (
    audience_name,
    publish_access_granted,
    publish_access_revoked,
)
from cotask_common.roles import can_moderate
from cotask_common.users.models import UserRef
from social.chat import hot_sql, selectors
from social.chat.models import (
    NOTHING_READ,
    ChatSettings,
    Conversation,
    Membership,
    Message,
    Reaction,
)
from social.core.activity import record_activity
from social.core.validation import clean_text
from social.moderation.models import Report, TargetType
from social.pages.models import Page
from social.pages.selectors import Viewer
from social.pages.services import check_media, publish_media_references

MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,40})")
CHAT_MEDIA_PURPOSES = ("chat_attachment",)
MAX_EMOJI_LENGTH = 32


def conversation_audience(conversation_id: Any) -> str:
    """The media audience of a conversation: its members read its attachments."""
    return audience_name("conversation", conversation_id)


def _ids(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in dict.fromkeys(values)]


def _refused(code: str) -> ServiceError:
    if code == "unknown":
        return NotFound.for_field("user_id", gettext("No person with this id."), code="not_found")
    return Forbidden(
        gettext("This person does not accept messages from you."), code="messages_not_accepted"
    )


def _check_may_message(*, sender_id: uuid.UUID, recipient_id: uuid.UUID) -> None:
    code = selectors.message_refusal(sender_id=sender_id, recipient_id=recipient_id)
    if code is not None:
        raise _refused(code)


def _publish(
    type: str,
    *,
    conversation: Conversation,
    actor: Any,
    member_ids: Iterable[Any],
    recipient_ids: Iterable[Any] = (),
    **data: Any,
) -> None:
    publish_event(
        type=f"social.chat.{type}",
        key=conversation.id,
        actor=actor,
        data={
            "conversation_id": str(conversation.id),
            "kind": conversation.kind,
            "member_ids": _ids(member_ids),
            "recipient_ids": _ids(recipient_ids),
            **data,
        },
    )


def _members_changed(
    *,
    conversation: Conversation,
    change: str,
    actor_id: uuid.UUID | None,
    removed: Iterable[Any] = (),
    added: Iterable[Any] = (),
) -> None:
    removed, added = _ids(removed), _ids(added)
    members = selectors.active_member_ids(conversation_id=conversation.id)
    _publish(
        "members_changed",
        conversation=conversation,
        actor=actor_id,
        member_ids=members,
        change=change,
        removed_ids=removed,
        name=conversation.name,
        actor_id=str(actor_id) if actor_id else None,
    )
    audience = conversation_audience(conversation.id)
    if added:
        publish_access_granted(audience=audience, user_ids=added, actor=actor_id)
    if removed:
        publish_access_revoked(audience=audience, user_ids=removed, actor=actor_id)


# ---------------------------------------------------------------------------------------------
# Settings


def set_chat_settings(*, user_id: uuid.UUID, who_may_message: str) -> str:
    if who_may_message not in ChatSettings.WhoMayMessage.values:
        raise ServiceError.for_field(
            "who_may_message",
            gettext("Must be one of: %(choices)s.")
            % {"choices": ", ".join(ChatSettings.WhoMayMessage.values)},
        )
    ChatSettings.objects.update_or_create(
        user_id=user_id, defaults={"who_may_message": who_may_message}
    )
    return who_may_message


# ---------------------------------------------------------------------------------------------
# Conversations


def _pair_key(a: uuid.UUID, b: uuid.UUID) -> str:
    first, second = sorted([str(a), str(b)])
    return f"{first}:{second}"


def start_direct(*, actor_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Conversation, bool]:
    """The direct conversation of the two (made on first use; `created` says which). Starting
    one follows the rules of sending: the other person must accept messages from the actor."""
    if str(user_id) == str(actor_id):
        raise ServiceError.for_field("user_id", gettext("You cannot message yourself."))
    key = _pair_key(actor_id, user_id)
    existing = Conversation.objects.filter(pair_key=key).first()
    if existing is not None:
        return existing, False
    _check_may_message(sender_id=actor_id, recipient_id=user_id)
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                kind=Conversation.Kind.DIRECT, pair_key=key, created_by_id=actor_id
            )
            Membership.objects.bulk_create(
                [
                    Membership(conversation=conversation, user_id=actor_id),
                    Membership(conversation=conversation, user_id=user_id),
                ]
            )
            _members_changed(
                conversation=conversation,
                change="created",
                actor_id=actor_id,
                added=[actor_id, user_id],
            )
    except IntegrityError:  # the other person started it at the same moment
        return Conversation.objects.get(pair_key=key), False
    return conversation, True


def _clean_name(name: str | None) -> str:
    return clean_text(
        name,
        field="name",
        limit=100,
        required=True,
        blank_message=gettext("A group needs a name."),
    )


def _check_group_size(count: int) -> None:
    most = settings.SOCIAL_CHAT_GROUP_MAX_MEMBERS
    if count > most:
        raise ServiceError.for_field(
            "member_ids",
            ngettext(
                "A group has at most %(limit)s member, this would make %(count)s.",
                "A group has at most %(limit)s members, this would make %(count)s.",
                most,
            )
            % {"limit": most, "count": count},
            code="too_many",
        )


def _addable(*, actor_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """The people `actor_id` may add to a group: each must accept messages from them."""
    ids = [uuid.UUID(str(u)) for u in dict.fromkeys(str(u) for u in user_ids)]
    ids = [u for u in ids if u != actor_id]
    for user_id in ids:
        if selectors.message_refusal(sender_id=actor_id, recipient_id=user_id) is not None:
            raise ServiceError.for_field(
                "member_ids",
                gettext("%(id)s cannot be added: no such person, or they do not accept it.")
                % {"id": user_id},
                code="member_refused",
            )
    return ids


def create_group(
    *, actor_id: uuid.UUID, name: str, member_ids: Iterable[uuid.UUID]
) -> Conversation:
    name = _clean_name(name)
    ids = _addable(actor_id=actor_id, user_ids=member_ids)
    _check_group_size(len(ids) + 1)
    with transaction.atomic():
        conversation = Conversation.objects.create(
            kind=Conversation.Kind.GROUP, name=name, created_by_id=actor_id
        )
        Membership.objects.bulk_create(
            [Membership(conversation=conversation, user_id=actor_id, role=Membership.Role.ADMIN)]
            + [Membership(conversation=conversation, user_id=u) for u in ids]
        )
        _members_changed(
            conversation=conversation, change="created", actor_id=actor_id, added=[actor_id, *ids]
        )
    return conversation


def _require_group_admin(*, conversation: Conversation, membership: Membership | None) -> None:
    if conversation.kind != Conversation.Kind.GROUP:
        raise ServiceError(gettext("Only a group has members to manage."), code="not_a_group")
    if membership is None or membership.role != Membership.Role.ADMIN:
        raise Forbidden(gettext("Only the group's admins may do this."), code="not_group_admin")


def rename_group(
    *, conversation: Conversation, membership: Membership | None, name: str
) -> Conversation:
    _require_group_admin(conversation=conversation, membership=membership)
    assert membership is not None
    with transaction.atomic():
        conversation.name = _clean_name(name)
        conversation.save(update_fields=["name"])
        _members_changed(conversation=conversation, change="renamed", actor_id=membership.user_id)
    return conversation


def add_members(
    *, conversation: Conversation, membership: Membership | None, user_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    _require_group_admin(conversation=conversation, membership=membership)
    assert membership is not None
    ids = _addable(actor_id=membership.user_id, user_ids=user_ids)
    with transaction.atomic():
        Conversation.objects.select_for_update().filter(id=conversation.id).first()
        current = set(selectors.active_member_ids(conversation_id=conversation.id))
        new = [u for u in ids if u not in current]
        _check_group_size(len(current) + len(new))
        if not new:
            return []
        last = conversation.last_message_id or NOTHING_READ
        for user_id in new:
            # A former member comes back: the same row, reading from now on.
            Membership.objects.update_or_create(
                conversation=conversation,
                user_id=user_id,
                defaults={
                    "left_at": None,
                    "role": Membership.Role.MEMBER,
                    "joined_at": timezone.now(),
                    "last_read_id": last,
                    "unread_count": 0,
                },
            )
        _members_changed(
            conversation=conversation, change="added", actor_id=membership.user_id, added=new
        )
    return new


def _end_membership(
    *, conversation: Conversation, target: Membership, change: str, actor_id: uuid.UUID
) -> None:
    with transaction.atomic():
        target.left_at = timezone.now()
        target.role = Membership.Role.MEMBER
        target.save(update_fields=["left_at", "role"])
        _members_changed(
            conversation=conversation,
            change=change,
            actor_id=actor_id,
            removed=[target.user_id],
        )


def remove_member(
    *, conversation: Conversation, membership: Membership | None, user_id: uuid.UUID
) -> None:
    _require_group_admin(conversation=conversation, membership=membership)
    assert membership is not None
    if str(user_id) == str(membership.user_id):
        raise ServiceError.for_field("user_id", gettext("To leave, use leave."))
    target = Membership.objects.filter(
        conversation=conversation, user_id=user_id, left_at__isnull=True
    ).first()
    if target is None:
        raise NotFound.for_field(
            "user_id", gettext("This person is not a member."), code="not_found"
        )
    _end_membership(
        conversation=conversation, target=target, change="removed", actor_id=membership.user_id
    )


def leave(*, conversation: Conversation, membership: Membership | None) -> None:
    if conversation.kind != Conversation.Kind.GROUP or membership is None:
        raise ServiceError(gettext("Only a group can be left."), code="not_a_group")
    with transaction.atomic():
        _end_membership(
            conversation=conversation,
            target=membership,
            change="left",
            actor_id=membership.user_id,
        )
        # A group is never left without an admin: the longest-standing member becomes one.
        remaining = Membership.objects.filter(conversation=conversation, left_at__isnull=True)
        if not remaining.filter(role=Membership.Role.ADMIN).exists():
            heir = remaining.order_by("joined_at", "id").first()
            if heir is not None:
                Membership.objects.filter(id=heir.id).update(role=Membership.Role.ADMIN)
                _members_changed(conversation=conversation, change="admin_granted", actor_id=None)


def make_admin(
    *, conversation: Conversation, membership: Membership | None, user_id: uuid.UUID
) -> None:
    _require_group_admin(conversation=conversation, membership=membership)
    assert membership is not None
    with transaction.atomic():
        updated = Membership.objects.filter(
            conversation=conversation, user_id=user_id, left_at__isnull=True
        ).update(role=Membership.Role.ADMIN)
        if not updated:
            raise NotFound.for_field(
                "user_id", gettext("This person is not a member."), code="not_found"
            )
        _members_changed(
            conversation=conversation, change="admin_granted", actor_id=membership.user_id
        )


def support_conversation(*, actor_id: uuid.UUID) -> Conversation:
    """The person's one conversation with the staff team (made on first use)."""
    key = f"support:{actor_id}"
    existing = Conversation.objects.filter(pair_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                kind=Conversation.Kind.SUPPORT, pair_key=key, created_by_id=actor_id
            )
            Membership.objects.create(conversation=conversation, user_id=actor_id)
            _members_changed(
                conversation=conversation, change="created", actor_id=actor_id, added=[actor_id]
            )
    except IntegrityError:
        return Conversation.objects.get(pair_key=key)
    return conversation


def set_muted(*, membership: Membership | None, muted: bool) -> Membership:
    if membership is None:  # staff looking at a support conversation
        raise Forbidden(gettext("Only members can do this."), code="not_member")
    membership.muted = muted
    membership.save(update_fields=["muted"])
    return membership


# ---------------------------------------------------------------------------------------------
# Messages


def _join_as_staff(*, conversation: Conversation, viewer: Viewer) -> Membership:
    """A moderator or admin answering a support conversation joins it (and so gets its frames)."""
    assert viewer is not None
    membership, _created = Membership.objects.update_or_create(
        conversation=conversation,
        user_id=viewer.id,
        defaults={"left_at": None, "role": Membership.Role.ADMIN},
    )
    _members_changed(
        conversation=conversation, change="added", actor_id=viewer.id, added=[viewer.id]
    )
    return membership


def _mentions(*, text: str, conversation: Conversation, member_ids: list[uuid.UUID]) -> list[str]:
    if conversation.kind != Conversation.Kind.GROUP:
        return []
    handles = {h.lower() for h in MENTION_RE.findall(text)}
    if not handles:
        return []
    owners = Page.objects.filter(
        handle_key__in=handles, kind=Page.Kind.PERSONAL, owner_id__in=member_ids
    ).values_list("owner_id", flat=True)
    return sorted(str(o) for o in owners)


def _message_data(message: Message) -> dict[str, Any]:
    return {
        "message_id": str(message.id),
        "author_id": str(message.author_id) if message.author_id else None,
    }


def send_message(
    *,
    conversation: Conversation,
    membership: Membership | None,
    viewer: Viewer,
    text: str | None,
    reply_to_id: uuid.UUID | None = None,
    attachment_ids: list[Any] | None = None,
) -> Message:
    assert viewer is not None
    sender_id = viewer.id
    text = clean_text(text, field="text", limit=settings.SOCIAL_CHAT_MESSAGE_MAX_LENGTH)
    attachment_ids = list(attachment_ids or [])
    most = settings.SOCIAL_CHAT_MAX_ATTACHMENTS
    if len(attachment_ids) > most:
        raise ServiceError.for_field(
            "attachment_ids",
            ngettext(
                "At most %(limit)s file, got %(count)s.",
                "At most %(limit)s files, got %(count)s.",
                most,
            )
            % {"limit": most, "count": len(attachment_ids)},
        )
    files = (
        check_media(
            media_ids=attachment_ids,
            owner_id=sender_id,
            purposes=CHAT_MEDIA_PURPOSES,
            field="attachment_ids",
        )
        if attachment_ids
        else []  # most messages: nothing to check (its empty queryset cost 0.1 ms)
    )
    if not text and not files:
        raise ServiceError.for_field(
            "text", gettext("A message needs text or at least one file."), code="text_or_file"
        )
    reply_to = None
    if reply_to_id is not None:
        reply_to = Message.objects.filter(id=reply_to_id, conversation=conversation).first()
        if reply_to is None:
            raise ServiceError.for_field(
                "reply_to_id", gettext("No message with this id in this conversation.")
            )
    with transaction.atomic():
        if membership is None:  # staff answering a support conversation
            membership = _join_as_staff(conversation=conversation, viewer=viewer)
        # The sender's account, the members and the other person's acceptance: one read.
        context = selectors.send_context(conversation=conversation, sender_id=sender_id)
        account = context.author
        if account is not None and (account[2] or account[3]):  # banned, deleted
            raise Forbidden(gettext("This account may not send messages."), code="user_banned")
        if context.refusal is not None:
            raise _refused(context.refusal)
        member_ids = [u for u, _m in context.members]
        message = Message(
            conversation=conversation,
            author_id=sender_id,
            text=text,
            reply_to=reply_to,
            attachment_ids=files,
            mention_ids=_mentions(text=text, conversation=conversation, member_ids=member_ids),
            created_at=timezone.now(),
        )
        # The message, the conversation's activity and everyone's read state (one's own
        # message is read, the others have one more): one statement on PostgreSQL.
        write = hot_sql.write_message if hot_sql.enabled() else hot_sql.write_message_orm
        write(message=message, membership_id=membership.id)
        record_activity(user_id=sender_id)  # a mentor answering counts as active
        publish_media_references(
            object_type="chat_message",
            object_id=message.id,
            actor=sender_id,
            attached=files,
            audience=conversation_audience(conversation.id),
        )
        _publish(
            "message_created",
            conversation=conversation,
            actor=sender_id,
            member_ids=member_ids,
            recipient_ids=[u for u, muted in context.members if u != sender_id and not muted],
            **_message_data(message),
            text=text,
            reply_to_id=str(reply_to.id) if reply_to else None,
            attachment_ids=files,
            mention_ids=message.mention_ids,
            author_name=(account[1] or account[0]) if account else "",
            conversation_name=conversation.name,
            created_at=message.created_at.isoformat(),
        )
    if account is not None:  # the response shows it without reading it again
        message.author = UserRef(id=sender_id, username=account[0], display_name=account[1])
    return message


def _live_message(*, conversation: Conversation, message_id: uuid.UUID) -> Message:
    message = (
        Message.objects.filter(id=message_id, conversation=conversation)
        .select_related("author")
        .first()
    )
    if message is None:
        raise selectors.no_message()
    return message


def edit_message(
    *, conversation: Conversation, viewer: Viewer, message_id: uuid.UUID, text: str | None
) -> Message:
    """Only the author edits (anyone else who sees the message: 403), never a deleted one."""
    assert viewer is not None
    message = _live_message(conversation=conversation, message_id=message_id)
    if message.author_id != viewer.id:
        raise Forbidden(gettext("Only the author may edit a message."), code="not_author")
    if message.deleted_at is not None:
        raise Conflict(gettext("This message was deleted."), code="message_deleted")
    text = clean_text(text, field="text", limit=settings.SOCIAL_CHAT_MESSAGE_MAX_LENGTH)
    if not text and not message.attachment_ids:
        raise ServiceError.for_field(
            "text", gettext("A message needs text or at least one file."), code="text_or_file"
        )
    with transaction.atomic():
        message.text = text
        message.edited_at = timezone.now()
        message.save(update_fields=["text", "edited_at"])
        _publish(
            "message_edited",
            conversation=conversation,
            actor=viewer.id,
            member_ids=selectors.active_member_ids(conversation_id=conversation.id),
            **_message_data(message),
            text=text,
            edited_at=message.edited_at.isoformat(),
        )
    return message


def delete_message(
    *,
    conversation: Conversation,
    membership: Membership | None,
    viewer: Viewer,
    message_id: uuid.UUID,
) -> Message:
    """Deleted for everyone: by its author, a group's admin, or staff (support, moderation)."""
    assert viewer is not None
    message = _live_message(conversation=conversation, message_id=message_id)
    allowed = (
        message.author_id == viewer.id
        or (
            conversation.kind == Conversation.Kind.GROUP
            and membership is not None
            and membership.role == Membership.Role.ADMIN
        )
        or can_moderate(viewer)
    )
    if not allowed:
        raise Forbidden(
            gettext("Only the author or a group admin may delete a message."), code="not_author"
        )
    if message.deleted_at is not None:
        return message
    return erase_message(message=message, actor_id=viewer.id)


def erase_message(*, message: Message, actor_id: uuid.UUID) -> Message:
    """The text, files and reactions go; the row stays as "deleted" (replies point at it)."""
    conversation = message.conversation
    with transaction.atomic():
        files = list(message.attachment_ids)
        message.text = ""
        message.attachment_ids = []
        message.deleted_at = timezone.now()
        message.save(update_fields=["text", "attachment_ids", "deleted_at"])
        Reaction.objects.filter(message=message).delete()
        # Those who had not read it have one unread message fewer.
        Membership.objects.filter(
            conversation=conversation,
            left_at__isnull=True,
            last_read_id__lt=message.id,
            unread_count__gt=0,
        ).exclude(user_id=message.author_id).update(unread_count=F("unread_count") - 1)
        if files:
            publish_media_references(
                object_type="chat_message", object_id=message.id, actor=actor_id, detach_all=True
            )
        _publish(
            "message_deleted",
            conversation=conversation,
            actor=actor_id,
            member_ids=selectors.active_member_ids(conversation_id=conversation.id),
            **_message_data(message),
            deleted_by=str(actor_id),
        )
    return message


def react(
    *,
    conversation: Conversation,
    membership: Membership | None,
    message_id: uuid.UUID,
    emoji: str | None,
) -> None:
    """Set (emoji) or take back (None) the member's reaction on a message."""
    if membership is None:
        raise Forbidden(gettext("Only members can do this."), code="not_member")
    message = _live_message(conversation=conversation, message_id=message_id)
    if message.deleted_at is not None:
        raise Conflict(gettext("This message was deleted."), code="message_deleted")
    user_id = membership.user_id
    with transaction.atomic():
        old = Reaction.objects.filter(message=message, user_id=user_id).first()
        if emoji is None:
            if old is None:
                return
            old.delete()
            changed, added = old.emoji, False
        else:
            emoji = clean_text(emoji, field="emoji", limit=MAX_EMOJI_LENGTH, required=True)
            if old is not None and old.emoji == emoji:
                return
            Reaction.objects.update_or_create(
                message=message, user_id=user_id, defaults={"emoji": emoji}
            )
            changed, added = emoji, True
        _publish(
            "reaction_changed",
            conversation=conversation,
            actor=user_id,
            member_ids=selectors.active_member_ids(conversation_id=conversation.id),
            message_id=str(message.id),
            user_id=str(user_id),
            emoji=changed,
            added=added,
        )


def mark_read(
    *, conversation: Conversation, membership: Membership | None, message_id: uuid.UUID
) -> Membership:
    """Read up to `message_id` (never backwards: an older id changes nothing)."""
    if membership is None:
        raise Forbidden(gettext("Only members can do this."), code="not_member")
    if not Message.objects.filter(id=message_id, conversation=conversation).exists():
        raise ServiceError.for_field(
            "message_id", gettext("No message with this id in this conversation.")
        )
    with transaction.atomic():
        # Locked, then counted: a message sent meanwhile either is counted here or increments
        # after this commits (its UPDATE waits for the lock), never both or neither.
        locked = Membership.objects.select_for_update().filter(id=membership.id).first()
        if locked is None or locked.last_read_id >= message_id:
            return membership
        locked.last_read_id = message_id
        locked.unread_count = selectors.count_unread(membership=locked)
        locked.save(update_fields=["last_read_id", "unread_count"])
        membership.last_read_id, membership.unread_count = message_id, locked.unread_count
        audience = (
            selectors.active_member_ids(conversation_id=conversation.id)
            if conversation.kind == Conversation.Kind.DIRECT
            else [membership.user_id]
        )
        _publish(
            "read",
            conversation=conversation,
            actor=membership.user_id,
            member_ids=audience,
            user_id=str(membership.user_id),
            message_id=str(message_id),
        )
    return membership


def report_message(
    *, conversation: Conversation, viewer: Viewer, message_id: uuid.UUID, reason: str
) -> Report:
    """Into social's moderation queue (`Report`, target `message`); one open report per person
    and message."""
    assert viewer is not None
    message = _live_message(conversation=conversation, message_id=message_id)
    if message.author_id is None or message.deleted_at is not None:
        raise Conflict(gettext("This message was deleted."), code="message_deleted")
    reason = clean_text(reason, field="reason", limit=1000, required=True)
    try:
        with transaction.atomic():
            row = Report.objects.create(
                reporter_id=viewer.id,
                target_type=TargetType.MESSAGE,
                target_id=message.id,
                reason=reason,
            )
            publish_event(
                type="social.moderation.reported",
                key=row.id,
                actor=viewer.id,
                data={
                    "report_id": str(row.id),
                    "target_type": TargetType.MESSAGE,
                    "target_id": str(message.id),
                    "target_owner_id": str(message.author_id),
                    "reporter_id": str(viewer.id),
                    "recipient_ids": [],
                },
            )
    except IntegrityError as exc:
        raise Conflict(gettext("You already reported this; a moderator will look at it.")) from exc
    return row


def erase_user_messages(*, user_id: uuid.UUID) -> int:
    """`auth.user.deleted`: the person's messages stay as from "a deleted account", their text
    and files gone; their reactions go, their memberships end. No event per message: the
    account's deletion is the event. Running it twice changes nothing more."""
    with transaction.atomic():
        count = Message.objects.filter(author_id=user_id).update(
            author=None, author_deleted=True, text="", attachment_ids=[]
        )
        Reaction.objects.filter(user_id=user_id).delete()
        Membership.objects.filter(user_id=user_id, left_at__isnull=True).update(
            left_at=timezone.now()
        )
        ChatSettings.objects.filter(user_id=user_id).delete()
    return count
