"""Reading conversations and messages, and who may do what.

Rules, in one place:
- a conversation is seen only by its active members (and, for support conversations, by every
  moderator and admin); anyone else gets the same 404 as for an id that does not exist;
- who may message whom (`message_refusal`): never across a page block (either way), never a
  deleted, banned or deactivated account; then the recipient's setting (everyone, people they
  follow, nobody).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from cotask_common.errors import NotFound, ServiceError
from cotask_common.roles import can_moderate
from cotask_common.users.models import UserRef
from social.chat import hot_sql
from social.chat.models import ChatSettings, Conversation, Membership, Message
from social.chat.serializers import message_dict
from social.pages.models import Follow, Page, PageBlock
from social.pages.selectors import Viewer


def no_conversation() -> NotFound:
    """The one answer for a conversation that does not exist or is not the caller's."""
    return NotFound(gettext("No conversation with this id."), code="not_found")


def no_message() -> NotFound:
    return NotFound(gettext("No message with this id."), code="not_found")


def conversation_for(
    *, conversation_id: Any, viewer: Viewer
) -> tuple[Conversation, Membership | None]:
    """The conversation and the viewer's active membership; staff see support conversations
    without being members (membership None). NotFound otherwise."""
    if viewer is None:
        raise no_conversation()
    read = (
        hot_sql.conversation_and_membership
        if hot_sql.enabled()
        else hot_sql.conversation_and_membership_orm
    )
    row, membership = read(conversation_id=conversation_id, user_id=viewer.id)
    if row is None:
        raise no_conversation()
    if membership is None and not (row.kind == Conversation.Kind.SUPPORT and can_moderate(viewer)):
        raise no_conversation()
    return row, membership


def active_member_ids(*, conversation_id: Any) -> list[uuid.UUID]:
    return list(
        Membership.objects.filter(conversation_id=conversation_id, left_at__isnull=True)
        .order_by("joined_at", "id")
        .values_list("user_id", flat=True)
    )


def message_refusal(*, sender_id: uuid.UUID, recipient_id: uuid.UUID) -> str | None:
    """Why `sender_id` may not message `recipient_id` (a code), or None when they may. One
    query: the account, a block either way, the setting and a follow, read together (every
    message of a direct conversation asks this)."""
    blocks = PageBlock.objects.filter(
        Q(page__owner_id=recipient_id, user_id=sender_id)
        | Q(page__owner_id=sender_id, user_id=recipient_id)
    )
    follows = Follow.objects.filter(
        user_id=recipient_id,
        status=Follow.Status.APPROVED,
        page__owner_id=sender_id,
        page__kind=Page.Kind.PERSONAL,
    )
    chosen = ChatSettings.objects.filter(user_id=recipient_id).values("who_may_message")[:1]
    account = (
        UserRef.objects.filter(id=recipient_id)
        .annotate(
            refusal_blocked=Exists(blocks),
            refusal_follows=Exists(follows),
            refusal_setting=Subquery(chosen),
        )
        .values(*hot_sql.REFUSAL_KEYS)
        .first()
    )
    return refusal_code(account)


def refusal_code(account: Mapping[str, Any] | None) -> str | None:
    """`message_refusal`'s answer from what it read of the recipient: their account's state,
    `refusal_blocked` (a block either way), `refusal_follows` (they follow the sender's personal
    page) and `refusal_setting` (their choice, None: the default)."""
    if account is None or account["is_deleted"] or account["is_deactivated"]:
        return "unknown"
    if account["is_banned"]:
        return "unknown"
    if account["refusal_blocked"]:
        return "blocked"
    setting = account["refusal_setting"] or ChatSettings.WhoMayMessage.EVERYONE
    if setting == ChatSettings.WhoMayMessage.NOBODY:
        return "nobody"
    if setting == ChatSettings.WhoMayMessage.FOLLOWING and not account["refusal_follows"]:
        return "not_following"
    return None


class SendContext(NamedTuple):
    """What a send reads before it writes."""

    # The sender's (username, display_name, is_banned, is_deleted); None: no account.
    author: tuple[str, str, bool, bool] | None
    # The active members' (user_id, muted), in no particular order.
    members: list[tuple[uuid.UUID, bool]]
    # Why the other person of a direct conversation refuses the sender (a `message_refusal`
    # code), None when they accept (and always in groups and support conversations).
    refusal: str | None


def send_context(*, conversation: Conversation, sender_id: uuid.UUID) -> SendContext:
    """One statement on PostgreSQL (`hot_sql.send_context`); its ORM twin elsewhere."""
    if not hot_sql.enabled():
        return send_context_orm(conversation=conversation, sender_id=sender_id)
    author, members, asked = hot_sql.send_context(conversation=conversation, sender_id=sender_id)
    refusal = None
    for account in asked:
        refusal = refusal_code(account)
        if refusal is not None:
            break
    return SendContext(author=author, members=members, refusal=refusal)


def send_context_orm(*, conversation: Conversation, sender_id: uuid.UUID) -> SendContext:
    """The ORM twin of `send_context`: the sender's account, the members, then
    `message_refusal` for the other person of a direct conversation."""
    account = (
        UserRef.objects.filter(id=sender_id)
        .values_list("username", "display_name", "is_banned", "is_deleted")
        .first()
    )
    members = list(
        Membership.objects.filter(conversation=conversation, left_at__isnull=True).values_list(
            "user_id", "muted"
        )
    )
    refusal = None
    if conversation.kind == Conversation.Kind.DIRECT:
        for other, _muted in members:
            if other != sender_id:
                refusal = message_refusal(sender_id=sender_id, recipient_id=other)
                if refusal is not None:
                    break
    return SendContext(author=account, members=members, refusal=refusal)


def chat_settings(*, user_id: uuid.UUID) -> str:
    return (
        ChatSettings.objects.filter(user_id=user_id)
        .values_list("who_may_message", flat=True)
        .first()
        or ChatSettings.WhoMayMessage.EVERYONE
    )


def count_unread(*, membership: Membership) -> int:
    """What `Membership.unread_count` should be: counted from the messages (on a read)."""
    return (
        Message.objects.filter(
            conversation_id=membership.conversation_id,
            id__gt=membership.last_read_id,
            deleted_at__isnull=True,
        )
        .exclude(author_id=membership.user_id)
        .count()
    )


def my_conversations(*, user_id: uuid.UUID) -> QuerySet[Membership]:
    """The caller's active memberships, each with its conversation, the last message (and its
    author), the unread count and, for direct conversations, the other person: one query per page
    whatever the number of rows."""
    peers = Membership.objects.filter(conversation_id=OuterRef("conversation_id")).exclude(
        user_id=user_id
    )
    return (
        Membership.objects.filter(user_id=user_id, left_at__isnull=True)
        .select_related(
            "conversation", "conversation__last_message", "conversation__last_message__author"
        )
        .annotate(
            activity=Coalesce("conversation__activity_id", "conversation_id"),
            peer_id=Subquery(peers.values("user_id")[:1]),
            peer_username=Subquery(peers.values("user__username")[:1]),
            peer_display_name=Subquery(peers.values("user__display_name")[:1]),
        )
    )


def support_queue() -> QuerySet[Conversation]:
    """Every support conversation, for moderators and admins."""
    return Conversation.objects.filter(kind=Conversation.Kind.SUPPORT).select_related(
        "last_message", "created_by"
    )


def total_unread(*, user_id: uuid.UUID) -> int:
    """Unread messages over the caller's conversations that are not muted."""
    total = Membership.objects.filter(user_id=user_id, left_at__isnull=True, muted=False).aggregate(
        n=Sum("unread_count")
    )["n"]
    return total or 0


def messages_of(*, conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("reactions")
    )


def history(
    *,
    conversation: Conversation,
    size: int,
    before: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    around: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A page of messages, oldest first: the newest `size` (none of the cursors), the `size`
    before or after a message, or about `size` centred on one (`around`, which must be in this
    conversation). `older` / `newer`: the cursors of the next pages, None at either end."""
    rows = messages_of(conversation=conversation)
    if around is not None:
        if not Message.objects.filter(id=around, conversation=conversation).exists():
            raise ServiceError.for_field("around", str(no_message().message), code="not_found")
        half = max(size // 2, 1)
        older = list(rows.filter(id__lt=around).order_by("-id")[: half + 1])
        newer = list(rows.filter(id__gte=around).order_by("id")[: size - half + 1])
        has_older, has_newer = len(older) > half, len(newer) > size - half
        page = [*reversed(older[:half]), *newer[: size - half]]
    elif after is not None:
        found = list(rows.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer, page = len(found) > size, found[:size]
        has_older = True
    else:
        query = rows.filter(id__lt=before) if before is not None else rows
        found = list(query.order_by("-id")[: size + 1])
        has_older, page = len(found) > size, list(reversed(found[:size]))
        has_newer = before is not None
    return {
        "results": page,
        "older": str(page[0].id) if page and has_older else None,
        "newer": str(page[-1].id) if page and has_newer else None,
    }


def history_page(
    *,
    conversation: Conversation,
    viewer_id: Any,
    size: int,
    before: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    around: uuid.UUID | None = None,
) -> dict[str, Any]:
    """`history`'s page with its messages as the answer shows them: one statement on
    PostgreSQL (`hot_sql.history_page`), the ORM's rows through `message_dict` elsewhere."""
    if not hot_sql.enabled():
        return history_page_orm(
            conversation=conversation,
            viewer_id=viewer_id,
            size=size,
            before=before,
            after=after,
            around=around,
        )
    page = hot_sql.history_page(
        conversation_id=conversation.id,
        viewer_id=viewer_id,
        size=size,
        before=before,
        after=after,
        around=around,
    )
    if page is None:
        raise ServiceError.for_field("around", str(no_message().message), code="not_found")
    return page


def history_page_orm(
    *,
    conversation: Conversation,
    viewer_id: Any,
    size: int,
    before: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    around: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The ORM twin of `hot_sql.history_page`."""
    page = history(conversation=conversation, size=size, before=before, after=after, around=around)
    return {**page, "results": [message_dict(m, viewer_id=viewer_id) for m in page["results"]]}


def search_messages(*, user_id: uuid.UUID, query: str, vendor: str) -> QuerySet[Message]:
    """Messages matching `query` in the caller's conversations (never deleted ones): PostgreSQL
    full-text search (the `simple` configuration: no stemming, any language) there, a
    case-insensitive substring match on SQLite."""
    mine = Membership.objects.filter(user_id=user_id, left_at__isnull=True).values(
        "conversation_id"
    )
    rows = (
        Message.objects.filter(conversation_id__in=mine, deleted_at__isnull=True)
        .select_related("author")
        .prefetch_related("reactions")
    )
    if vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        return rows.annotate(search=SearchVector("text", config="simple")).filter(
            search=SearchQuery(query, config="simple", search_type="websearch")
        )
    return rows.filter(text__icontains=query)
