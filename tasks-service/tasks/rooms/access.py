"""Who may do what in a room. Every service function that reads or changes a room's data asks
here first.

A person outside a room learns nothing of it: every refusal to a non-member is the same 404 a
missing id gets. A member whose role is too low gets 403 naming the role needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, PermissionDenied

from cotask_common.security.tokens import TokenUser
from cotask_common.users.models import UserRef
from tasks.rooms.models import Membership, Room, RoomRole

# Higher is more. Owner > admin > member > viewer.
ROLE_RANK: dict[str, int] = {
    RoomRole.VIEWER: 1,
    RoomRole.MEMBER: 2,
    RoomRole.ADMIN: 3,
    RoomRole.OWNER: 4,
}


# The roles' names as a person reads them (the model's labels are the stored values' names).
ROLE_NAMES = {
    RoomRole.OWNER: _("owner"),
    RoomRole.ADMIN: _("admin"),
    RoomRole.MEMBER: _("member"),
    RoomRole.VIEWER: _("viewer"),
}


class RoomNotFound(NotFound):
    default_detail = _("No room with this id.")
    default_code = "room_not_found"


class RoomRoleRequired(PermissionDenied):
    default_code = "room_role_required"

    def __init__(self, role: str) -> None:
        super().__init__(
            _("This needs the %(role)s role in the room.") % {"role": ROLE_NAMES[RoomRole(role)]}
        )


def has_role(role: str, at_least: str) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[at_least]


def outranks(actor_role: str, target_role: str) -> bool:
    """An admin manages members and viewers, never another admin or the owner; the owner
    manages everyone."""
    return ROLE_RANK.get(actor_role, 0) > ROLE_RANK.get(target_role, 0)


def touch_rooms(*, room_ids: Iterable[UUID]) -> None:
    """Raise the rooms' versions (and lock their rows until the transaction ends): their
    cached pages (tasks.planning.pages) are not served again. Called by every write that
    changes what a room's board, lists or its members' "my tasks" show."""
    ids = sorted(set(room_ids))  # one lock order for every caller
    if ids:
        Room.objects.filter(id__in=ids).update(version=F("version") + 1)


def membership_in(
    *,
    user: UserRef | TokenUser,
    room_id: UUID | str,
    at_least: str = RoomRole.VIEWER,
    lock: bool = False,
) -> Membership:
    """The user's membership of the room with its room loaded, if their role is at least
    `at_least`. Non-members (and missing rooms, and malformed ids) get RoomNotFound; members
    below the role get RoomRoleRequired. `lock` takes the room row's lock to serialise changes
    to the room's members or board, and raises the room's `version` in the same statement
    (every locker writes something the room's pages show; a refused or failed write rolls it
    back). `user` is a UserRef or the request's TokenUser (only its id is read)."""
    try:
        room_uuid = room_id if isinstance(room_id, UUID) else UUID(str(room_id))
    except ValueError:
        raise RoomNotFound() from None
    memberships = Membership.objects.select_related("room")
    if lock:
        # Lock the room row, not the membership: every writer of the room takes the same lock.
        # An UPDATE locks the row like SELECT FOR UPDATE and invalidates the cached pages.
        touch_rooms(room_ids=[room_uuid])
    membership = memberships.filter(room_id=room_uuid, user_id=user.id).first()
    if membership is None:
        raise RoomNotFound()
    if not has_role(membership.role, at_least):
        raise RoomRoleRequired(at_least)
    return membership
