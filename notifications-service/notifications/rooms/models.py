"""What notifications knows of tasks-service's rooms: who left them, which are gone, and which
notifications speak of which room (so they can be taken back)."""

from __future__ import annotations

from django.db import models

from notifications.inbox.models import Notification


class RoomMember(models.Model):
    """A person's membership of a room as `tasks.room.joined` / `tasks.room.left` announce it.

    Only used to refuse: a task event about a room the person has left since (it was made while
    they were a member, and `tasks.task` is another topic than `tasks.room`, so it may be handled
    after the leave) tells them nothing. No row means nothing is known against them (a room's
    creator never "joins"). `source_version` is the `occurred_at` of the newest event applied.
    """

    room_id = models.UUIDField()
    user_id = models.UUIDField()
    active = models.BooleanField(default=True)
    source_version = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room_id", "user_id"], name="room_member_unique")
        ]
        indexes = [models.Index(fields=["user_id"], name="room_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} ({'member' if self.active else 'left'})"


class DeletedRoom(models.Model):
    """A room its owner deleted: nothing more is told about it, to anyone."""

    room_id = models.UUIDField(primary_key=True)
    deleted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"room {self.room_id} deleted"


class RoomNotification(models.Model):
    """A notification about a room (someone joined it, or one of its tasks): what a leave or
    the room's deletion takes back. Goes with its notification."""

    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    room_id = models.UUIDField()
    recipient_id = models.UUIDField()

    class Meta:
        indexes = [
            models.Index(fields=["room_id", "recipient_id"], name="room_notification_room_idx")
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} about {self.room_id}"
