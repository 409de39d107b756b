"""Reads of rooms, their members, labels and history. Every read of one room's data goes through
`membership_in` first (a non-member gets the same 404 as a missing room)."""

from __future__ import annotations

from typing import Any, TypeAlias

from django.db.models import Count, OuterRef, QuerySet, Subquery

from cotask_common.security.tokens import TokenUser
from cotask_common.users.models import UserRef
from tasks.rooms.access import membership_in
from tasks.rooms.models import Label, Membership, MembershipChange, Room, RoomKind, RoomRole

User: TypeAlias = UserRef | TokenUser


def _with_counts(rooms: QuerySet[Room], *, user_id: Any) -> QuerySet[Room]:
    """`my_role` and `member_count` in the same query as the rooms (no query per room)."""
    member_count = (
        Membership.objects.filter(room=OuterRef("pk"))
        .order_by()
        .values("room")
        .annotate(n=Count("id"))
        .values("n")
    )
    my_role = Membership.objects.filter(room=OuterRef("pk"), user_id=user_id).values("role")[:1]
    return rooms.select_related("owner").annotate(
        my_role=Subquery(my_role), member_count=Subquery(member_count)
    )


def rooms_of(*, user: User) -> QuerySet[Room]:
    """The team rooms the person is in, newest first (the personal space is `/personal/`)."""
    rooms = Room.objects.filter(kind=RoomKind.TEAM, memberships__user_id=user.id)
    return _with_counts(rooms, user_id=user.id)


def room_for(*, user: User, room_id: Any, at_least: str = RoomRole.VIEWER) -> Room:
    """One room as its member sees it (with `my_role` and `member_count`)."""
    membership = membership_in(user=user, room_id=room_id, at_least=at_least)
    return room_with_counts(room_id=membership.room_id, user=user)


def room_with_counts(*, room_id: Any, user: User) -> Room:
    return _with_counts(Room.objects.filter(id=room_id), user_id=user.id).get()


def members_of(*, user: User, room_id: Any) -> QuerySet[Membership]:
    """The room's members in the order they joined (viewer may read)."""
    membership = membership_in(user=user, room_id=room_id)
    return Membership.objects.filter(room_id=membership.room_id).select_related("user")


def labels_of(*, user: User, room_id: Any) -> QuerySet[Label]:
    membership = membership_in(user=user, room_id=room_id)
    return Label.objects.filter(room_id=membership.room_id)


def history_of(*, user: User, room_id: Any) -> QuerySet[MembershipChange]:
    """The room's membership history, newest first."""
    membership = membership_in(user=user, room_id=room_id)
    return MembershipChange.objects.filter(room_id=membership.room_id).select_related(
        "actor", "subject"
    )


def member_ids(*, room_id: Any) -> list[Any]:
    """Everyone in the room (for other apps: mentions, assignees, recipients)."""
    return list(Membership.objects.filter(room_id=room_id).values_list("user_id", flat=True))
