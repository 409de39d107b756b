"""Rooms (teams and projects, and each person's personal space), their members and labels, and
the history of their membership."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from cotask_common.ids import uuid7
from cotask_common.users.models import UserRef


class RoomKind(models.TextChoices):
    TEAM = "team", "team"
    PERSONAL = "personal", "personal space"


class RoomRole(models.TextChoices):
    """Ordered from most to least: owner > admin > member > viewer."""

    OWNER = "owner", "owner"
    ADMIN = "admin", "admin"
    MEMBER = "member", "member"
    VIEWER = "viewer", "viewer"


class Room(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=16, choices=RoomKind.choices, default=RoomKind.TEAM)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    owner = models.ForeignKey(UserRef, on_delete=models.PROTECT, related_name="owned_rooms")
    # 9 characters of [0-9a-z]; null for personal spaces (nobody joins them).
    join_code = models.CharField(max_length=9, null=True, blank=True, unique=True)
    join_code_changed_at = models.DateTimeField(null=True, blank=True)
    # Members' completed tasks may appear (title and room name) in progress posts on their
    # social pages, seen by whoever follows them. Off by default; owners and admins change it.
    share_progress = models.BooleanField(default=False, db_default=False)
    # A private room's name stays among its members: progress posts say "a private room".
    private = models.BooleanField(default=False, db_default=False)
    # Raised by every write that can change what the room's pages show (its board, its lists,
    # its members' "my tasks"), in the writer's transaction: the key of those pages' cached
    # bytes (tasks.planning.pages). Stored here, not in the cache, so a reader sees a new
    # version exactly when it sees the change, in every process and in the embedded default.
    version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One personal space per person.
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(kind="personal"),
                name="room_one_personal_space",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(UserRef, on_delete=models.CASCADE, related_name="room_memberships")
    role = models.CharField(max_length=16, choices=RoomRole.choices, default=RoomRole.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "room"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} ({self.role})"


class Label(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=40)
    color = models.CharField(max_length=7, blank=True, default="")  # "#rrggbb"
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("room", Lower("name"), name="label_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipChange(models.Model):
    """One line of a room's history: who joined, left, was removed, changed role, got the
    ownership, or regenerated the code."""

    class Action(models.TextChoices):
        CREATED = "created", "created the room"
        JOINED = "joined", "joined"
        LEFT = "left", "left"
        REMOVED = "removed", "was removed"
        ROLE_CHANGED = "role_changed", "role changed"
        OWNERSHIP = "ownership_transferred", "ownership handed over"
        CODE_REGENERATED = "code_regenerated", "join code regenerated"
        ACCOUNT_DELETED = "account_deleted", "account deleted"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    subject = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role_before = models.CharField(max_length=16, blank=True, default="")
    role_after = models.CharField(max_length=16, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["room", "-id"], name="membershipchange_room_idx")]

    def __str__(self) -> str:
        return f"{self.action} in {self.room_id}"


class RoomTally(models.Model):
    """How many of the room's tasks are completed now: +1 when a task becomes completed, -1 when
    it is reopened (a deleted task keeps its count: the work was done). Changed only by one
    atomic `UPDATE ... RETURNING` (`rooms.milestones`), never read-modify-write."""

    room = models.OneToOneField(Room, primary_key=True, on_delete=models.CASCADE, related_name="+")
    completed = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.room_id}: {self.completed}"


class RoomMilestone(models.Model):
    """A room's count of completed tasks reached `number` (`ROOM_MILESTONES`): once per room and
    number, whatever reopening and completing again do to the count."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="milestones")
    number = models.PositiveIntegerField()
    reached_by = models.ForeignKey(
        UserRef, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reached_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "number"], name="roommilestone_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id} reached {self.number}"
