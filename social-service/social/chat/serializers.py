from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers


class AuthorBrief(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class ReactionOutput(serializers.Serializer):
    emoji = serializers.CharField()
    count = serializers.IntegerField()
    mine = serializers.BooleanField()


class MessageOutput(serializers.Serializer):
    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    author = AuthorBrief(allow_null=True, help_text="null: a deleted account")
    author_deleted = serializers.BooleanField()
    text = serializers.CharField()
    reply_to_id = serializers.UUIDField(allow_null=True)
    attachment_ids = serializers.ListField(child=serializers.UUIDField())
    mention_ids = serializers.ListField(child=serializers.UUIDField())
    reactions = ReactionOutput(many=True)
    edited = serializers.BooleanField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return message_dict(instance, viewer_id=self.context.get("viewer_id"))


# One field for every answer: building a DRF field per value cost more than the formatting.
_DATETIME = serializers.DateTimeField()


def iso_datetime(value: Any) -> str | None:
    """A time as the answers show it (DRF's format, in the current time zone); None stays."""
    return _DATETIME.to_representation(value) if value else None


_iso = iso_datetime


def message_dict(
    message: Any, *, viewer_id: Any = None, reactions: Iterable[Any] | None = None
) -> dict[str, Any]:
    """`reactions`: the message's, when known without reading them (none on a message just
    sent); else `message.reactions`, prefetched."""
    author = message.author if message.author_id else None
    counts: dict[str, list[int]] = {}
    for reaction in message.reactions.all() if reactions is None else reactions:
        entry = counts.setdefault(reaction.emoji, [0, 0])
        entry[0] += 1
        if viewer_id is not None and str(reaction.user_id) == str(viewer_id):
            entry[1] = 1
    return {
        "id": str(message.id),
        "conversation_id": str(message.conversation_id),
        "author": (
            {
                "id": str(author.id),
                "username": author.username,
                "display_name": author.display_name,
            }
            if author is not None
            else None
        ),
        "author_deleted": bool(message.author_deleted or author is None),
        "text": message.text,
        "reply_to_id": str(message.reply_to_id) if message.reply_to_id else None,
        "attachment_ids": list(message.attachment_ids),
        "mention_ids": list(message.mention_ids),
        "reactions": [
            {"emoji": emoji, "count": count, "mine": bool(mine)}
            for emoji, (count, mine) in sorted(counts.items())
        ],
        "edited": message.edited_at is not None,
        "edited_at": _iso(message.edited_at),
        "deleted": message.deleted_at is not None,
        "created_at": _iso(message.created_at),
    }


class LastMessageOutput(serializers.Serializer):
    id = serializers.UUIDField()
    author_id = serializers.UUIDField(allow_null=True)
    text = serializers.CharField()
    deleted = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class PeerOutput(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class ConversationOutput(serializers.Serializer):
    """A conversation as one of its members sees it."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    muted = serializers.BooleanField()
    unread_count = serializers.IntegerField()
    last_read_id = serializers.UUIDField(allow_null=True)
    last_message = LastMessageOutput(allow_null=True)
    peer = PeerOutput(allow_null=True, help_text="the other person of a direct conversation")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return conversation_dict(instance)


def conversation_dict(membership: Any) -> dict[str, Any]:
    """A row of `selectors.my_conversations` (a Membership with annotations)."""
    conversation = membership.conversation
    last = conversation.last_message
    peer = None
    if conversation.kind == "direct" and getattr(membership, "peer_id", None):
        peer = {
            "id": str(membership.peer_id),
            "username": membership.peer_username,
            "display_name": membership.peer_display_name,
        }
    return {
        "id": str(conversation.id),
        "kind": conversation.kind,
        "name": conversation.name,
        "role": membership.role,
        "muted": membership.muted,
        "unread_count": getattr(membership, "unread_count", 0),
        "last_read_id": str(membership.last_read_id) if membership.last_read_id.int else None,
        "last_message": (
            {
                "id": str(last.id),
                "author_id": str(last.author_id) if last.author_id else None,
                "text": last.text,
                "deleted": last.deleted_at is not None,
                "created_at": _iso(last.created_at),
            }
            if last is not None
            else None
        ),
        "peer": peer,
    }


class DirectInput(serializers.Serializer):
    user_id = serializers.UUIDField()


class GroupInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)  # services._clean_name: needed, 100 at most
    member_ids = serializers.ListField(child=serializers.UUIDField(), max_length=1000)


class RenameInput(serializers.Serializer):
    whole_patch = True  # its PATCH takes the whole body (cotask_common.openapi)
    name = serializers.CharField(max_length=100)


class MembersInput(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=1000)


class MessageInput(serializers.Serializer):
    text = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )
    reply_to_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    attachment_ids = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, max_length=100
    )


class EditInput(serializers.Serializer):
    whole_patch = True  # its PATCH takes the whole body (cotask_common.openapi)
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ReactionInput(serializers.Serializer):
    emoji = serializers.CharField(allow_blank=True, max_length=64)


class ReadInput(serializers.Serializer):
    message_id = serializers.UUIDField()


class MuteInput(serializers.Serializer):
    muted = serializers.BooleanField()


class MessageReportInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class SettingsSerializer(serializers.Serializer):
    who_may_message = serializers.ChoiceField(choices=["everyone", "following", "nobody"])


class UnreadOutput(serializers.Serializer):
    unread_count = serializers.IntegerField()


class HistoryOutput(serializers.Serializer):
    results = MessageOutput(many=True)
    older = serializers.UUIDField(allow_null=True, help_text="`?before=` of the older page")
    newer = serializers.UUIDField(allow_null=True, help_text="`?after=` of the newer page")
