"""Chat: conversations (direct, group, support), their members, messages and reactions, and each
person's choice of who may message them.

Message ids are UUIDv7: they sort by creation time, so history pages, unread counts ("after my
last read message") and the conversation list's order all compare ids, never timestamps."""

from __future__ import annotations

import uuid

from django.db import models

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef

# "Nothing read yet": below every UUIDv7.
NOTHING_READ = uuid.UUID(int=0)


class ChatSettings(models.Model):
    class WhoMayMessage(models.TextChoices):
        EVERYONE = "everyone"
        FOLLOWING = "following"  # people I follow (their personal page)
        NOBODY = "nobody"

    user = models.OneToOneField(
        UserRef, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    who_may_message = models.CharField(
        max_length=16, choices=WhoMayMessage.choices, default=WhoMayMessage.EVERYONE
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.who_may_message}"


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct"
        GROUP = "group"
        SUPPORT = "support"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True, default="")
    avatar_id = models.UUIDField(null=True, blank=True)
    # Direct: "<smaller user id>:<larger user id>" (one conversation per unordered pair);
    # support: "support:<user id>" (one per person); null for groups. Unique.
    pair_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The newest message (or the creation): the conversation list's order, newest first.
    activity_id = models.UUIDField(default=uuid7, db_index=True)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name or f"{self.kind} {self.id}"


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member"
        ADMIN = "admin"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    # Set when the person left or was removed: they see and receive nothing more.
    left_at = models.DateTimeField(null=True, blank=True)
    # The newest message the person has read (NOTHING_READ: none).
    last_read_id = models.UUIDField(default=NOTHING_READ)
    # Messages after `last_read_id` that are not the person's own and not deleted, kept by the
    # services that change it (counting them at read time cost ~20 ms per conversation with a
    # backlog of 10,000: bench/social_chat.py).
    unread_count = models.PositiveIntegerField(default=0)
    muted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="chat_member_unique")
        ]
        indexes = [
            models.Index(
                fields=["user", "conversation"],
                name="chat_member_active_idx",
                condition=models.Q(left_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"

    @property
    def active(self) -> bool:
        return self.left_at is None


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # Null once the author's account is deleted (shown as "a deleted account", text removed).
    author = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_deleted = models.BooleanField(default=False)
    text = models.TextField(blank=True, default="")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attachment_ids = models.JSONField(default=list, blank=True)
    mention_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Deleted for everyone: the row stays (replies and read state point at it), the text goes.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "id"], name="chat_message_history_idx")]

    def __str__(self) -> str:
        return f"message {self.id}"


class Reaction(models.Model):
    """One emoji per person per message; reacting again replaces it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="chat_reaction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"
