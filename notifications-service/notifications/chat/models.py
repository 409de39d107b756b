"""What notifications-service keeps of social-service's chat: who is in which conversation (for
typing indicators), the frames each member's sockets were sent (for the cursor replay) and
which people have a socket open (for offline notifications)."""

from __future__ import annotations

from django.db import models

from notifications.inbox.models import Recipient


class ChatMember(models.Model):
    """A conversation's membership as `social.chat.members_changed` announces it (the whole
    current membership each time). Only typing indicators read it: a person may send `typing`
    to a conversation only while they are an active member here. `source_version`: the
    `occurred_at` of the newest event applied, so an older event never wins."""

    conversation_id = models.UUIDField()
    user_id = models.UUIDField()
    active = models.BooleanField(default=True)
    source_version = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation_id", "user_id"], name="chat_member_projection_unique"
            )
        ]
        indexes = [models.Index(fields=["user_id"], name="chat_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id} ({'member' if self.active else 'left'})"


class ChatFrame(models.Model):
    """One `chat` frame sent to one person, in their websocket sequence (the same counter as
    notifications, `Recipient.last_sequence`), so a reconnecting client's `?cursor=` replay
    returns the chat frames it missed with the notifications, in order, each once. Kept
    `NOTIFICATIONS_CHAT_FRAME_RETENTION_HOURS` (social-service's history is the record; a client
    away longer reloads over REST)."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="+")
    sequence = models.BigIntegerField()
    event_id = models.UUIDField()
    event = models.CharField(max_length=32)
    conversation_id = models.UUIDField()
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "sequence"], name="chat_frame_recipient_sequence"
            ),
            models.UniqueConstraint(
                fields=["event_id", "recipient"], name="chat_frame_event_recipient"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="chat_frame_created_idx")]

    def __str__(self) -> str:
        return f"{self.event} #{self.sequence} for {self.recipient_id}"


class SocketPresence(models.Model):
    """An open socket (its channel name), refreshed by the socket's heartbeat: a person with a
    fresh row is online and gets chat frames live instead of a notification."""

    channel_name = models.CharField(max_length=200, primary_key=True)
    user_id = models.UUIDField(db_index=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} on {self.channel_name}"
