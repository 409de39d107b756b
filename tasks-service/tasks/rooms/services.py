"""Rooms: creating, editing and deleting them, joining by code, leaving, removing members,
changing roles, handing ownership over, labels, and what an account's deletion does to them.

Every function here checks the caller with `tasks.rooms.access.membership_in` first, writes the
room's history (`MembershipChange`) and its `tasks.room.*` events in the same transaction, and
keeps media's projection of who may read the room's files (audience `room:<id>`) in step.

Lock order: the room row (`membership_in(..., lock=True)`) before any membership or task row, so
two changes to one room's members never interleave (and a board move, which takes the same lock,
never sees a half-removed member).
"""

from __future__ import annotations

import re
import secrets
from typing import Any, TypeAlias
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cotask_common.errors import Conflict, Forbidden, NotFound, ServiceError
from cotask_common.events.outbox import publish_event
from cotask_common.media_access import (
    audience_name,
    publish_access_granted,
    publish_access_revoked,
)
from cotask_common.security.tokens import TokenUser
from cotask_common.users.models import UserRef
from tasks.rooms.access import ROLE_RANK, membership_in, outranks, touch_rooms
from tasks.rooms.models import Label, Membership, MembershipChange, Room, RoomKind, RoomRole

# 36 symbols, 9 characters: 36**9 ≈ 1.0e14 codes. Lower case only, so a code read aloud or typed
# on a phone cannot be mistyped by case; input is lower-cased before it is compared.
JOIN_CODE_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
JOIN_CODE_LENGTH = 9
JOIN_CODE_PATTERN = re.compile(rf"^[0-9a-z]{{{JOIN_CODE_LENGTH}}}$")
NAME_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 5000
LABEL_NAME_MAX_LENGTH = 40
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
# Roles an admin can give with PATCH .../members/{id}/ (ownership has its own endpoint).
ASSIGNABLE_ROLES = (RoomRole.ADMIN, RoomRole.MEMBER, RoomRole.VIEWER)

User: TypeAlias = UserRef | TokenUser
# Stored in English; the API shows the default name in the reader's language (serializers).
PERSONAL_SPACE_NAME = "Personal space"


def room_audience(room_id: Any) -> str:
    """`room:<id>`: the media audience of the files a room's tasks use."""
    return audience_name("room", room_id)


# ---------------------------------------------------------------------------------------------
# Join codes


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(code: str) -> str:
    return (code or "").strip().lower()


def _save_with_new_code(room: Room, *, fields: list[str] | None = None) -> None:
    """Give the room a fresh code and save it; a collision with another room's code (1 in 1e14
    per room) just draws again. The unique constraint, not a lookup, is what guarantees it."""
    # A collision may be with a room another transaction has not committed yet (invisible to a
    # lookup), so any IntegrityError of the save draws again; five in a row is not luck.
    for attempt in range(5):
        room.join_code = new_join_code()
        room.join_code_changed_at = timezone.now()
        try:
            with transaction.atomic():
                if fields is None:
                    room.save()
                else:
                    room.save(update_fields=[*fields, "join_code", "join_code_changed_at"])
            return
        except IntegrityError:
            if attempt == 4:
                raise


# ---------------------------------------------------------------------------------------------
# Events and history


def _room_data(room: Room) -> dict[str, Any]:
    return {
        "id": str(room.id),
        "name": room.name,
        "kind": room.kind,
        "owner_id": str(room.owner_id),
    }


def _member_data(room: Room, *, user_id: Any, role: str, recipients: list[Any]) -> dict[str, Any]:
    return {
        "room_id": str(room.id),
        "room_name": room.name,
        "user_id": str(user_id),
        "role": role,
        "recipient_ids": [str(r) for r in recipients],
    }


def _history(
    room: Room,
    *,
    action: str,
    actor_id: Any = None,
    subject_id: Any = None,
    role_before: str = "",
    role_after: str = "",
) -> MembershipChange:
    return MembershipChange.objects.create(
        room=room,
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        role_before=role_before,
        role_after=role_after,
    )


def _managers(room: Room, *, exclude: Any = None) -> list[UUID]:
    """The owner and the admins (who hear that someone joined)."""
    ids = Membership.objects.filter(
        room=room, role__in=(RoomRole.OWNER, RoomRole.ADMIN)
    ).values_list("user_id", flat=True)
    return [i for i in ids if i != exclude]


# ---------------------------------------------------------------------------------------------
# Validation


def _clean_name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise ServiceError.for_field("name", _("A room needs a name."), code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ServiceError.for_field(
            "name",
            ngettext(
                "A room's name has at most %(max)d character.",
                "A room's name has at most %(max)d characters.",
                NAME_MAX_LENGTH,
            )
            % {"max": NAME_MAX_LENGTH},
            code="max_length",
        )
    return name


def _clean_description(value: Any) -> str:
    description = str(value or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ServiceError.for_field(
            "description",
            ngettext(
                "A room's description has at most %(max)d character.",
                "A room's description has at most %(max)d characters.",
                DESCRIPTION_MAX_LENGTH,
            )
            % {"max": DESCRIPTION_MAX_LENGTH},
            code="max_length",
        )
    return description


def _team_only(room: Room) -> None:
    if room.kind == RoomKind.PERSONAL:
        raise Conflict(
            _("Your personal space cannot be shared, left or deleted."), code="personal_space"
        )


# ---------------------------------------------------------------------------------------------
# Personal space and rooms


def personal_space_for(*, user: User) -> Room:
    """The person's personal space, made on first use. Race safe: two first requests at once
    both end with the one row the unique constraint `room_one_personal_space` allows."""
    room = Room.objects.filter(owner_id=user.id, kind=RoomKind.PERSONAL).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room.objects.create(
                kind=RoomKind.PERSONAL,
                owner_id=user.id,
                name=PERSONAL_SPACE_NAME,
                join_code=None,
            )
            Membership.objects.create(room=room, user_id=user.id, role=RoomRole.OWNER)
            publish_event(
                type="tasks.room.created", key=room.id, actor=user.id, data=_room_data(room)
            )
            publish_access_granted(audience=room_audience(room.id), user_ids=[user.id])
            return room
    except IntegrityError:
        return Room.objects.get(owner_id=user.id, kind=RoomKind.PERSONAL)


@transaction.atomic
def room_create(*, user: User, name: Any, description: Any = "") -> Room:
    """A team room with the creator as its owner and a fresh join code."""
    room = Room(
        kind=RoomKind.TEAM,
        owner_id=user.id,
        name=_clean_name(name),
        description=_clean_description(description),
    )
    _save_with_new_code(room)
    Membership.objects.create(room=room, user_id=user.id, role=RoomRole.OWNER)
    _history(
        room,
        action=MembershipChange.Action.CREATED,
        actor_id=user.id,
        subject_id=user.id,
        role_after=RoomRole.OWNER,
    )
    publish_event(type="tasks.room.created", key=room.id, actor=user.id, data=_room_data(room))
    publish_access_granted(audience=room_audience(room.id), user_ids=[user.id], actor=user.id)
    return room


@transaction.atomic
def room_update(*, user: User, room_id: Any, changes: dict[str, Any]) -> Room:
    """Name, description, `share_progress` and `private` (admin). The personal space's owner is its
    owner: they rename it and decide whether its tasks may be shared."""
    room = membership_in(user=user, room_id=room_id, at_least=RoomRole.ADMIN, lock=True).room
    fields = []
    if "name" in changes:
        room.name = _clean_name(changes["name"])
        fields.append("name")
    if "description" in changes:
        room.description = _clean_description(changes["description"])
        fields.append("description")
    if "share_progress" in changes:
        room.share_progress = bool(changes["share_progress"])
        fields.append("share_progress")
    if "private" in changes:
        room.private = bool(changes["private"])
        fields.append("private")
    if fields:
        room.save(update_fields=[*fields, "updated_at"])
    return room


@transaction.atomic
def room_delete(*, user: User, room_id: Any) -> None:
    """The owner deletes a team room with its tasks (one `tasks.room.deleted`, no event per
    task); nobody may read its files any more."""
    room = membership_in(user=user, room_id=room_id, at_least=RoomRole.OWNER, lock=True).room
    _team_only(room)
    _delete_room(room, actor_id=user.id)


def _delete_room(room: Room, *, actor_id: Any) -> None:
    """The room goes with its tasks: media drops the tasks' file references (a file nobody else
    uses is deleted after media's grace period) and the audience `room:<id>` closes."""
    from tasks.planning.models import Attachment

    task_ids = (
        Attachment.objects.filter(task__room=room)
        .order_by("task_id")
        .values_list("task_id", flat=True)
        .distinct()
    )
    for task_id in task_ids:
        publish_event(
            type="tasks.media.detached",
            key=task_id,
            actor=actor_id,
            data={"object_type": "task", "object_id": str(task_id)},
        )
    publish_event(
        type="tasks.room.deleted",
        key=room.id,
        actor=actor_id,
        data={**_room_data(room), "actor_id": str(actor_id)},
    )
    publish_access_revoked(audience=room_audience(room.id), user_ids=None, actor=actor_id)
    room.delete()


@transaction.atomic
def join_code_regenerate(*, user: User, room_id: Any) -> Room:
    """A new code (admin); the old one stops working at once."""
    room = membership_in(user=user, room_id=room_id, at_least=RoomRole.ADMIN, lock=True).room
    _team_only(room)
    _save_with_new_code(room, fields=["updated_at"])
    _history(room, action=MembershipChange.Action.CODE_REGENERATED, actor_id=user.id)
    return room


class InvalidJoinCode(ServiceError):
    def __init__(self) -> None:
        message = _("No room has this join code.")
        super().__init__(
            f"code: {message}",
            code="invalid_join_code",
            fields={"code": [{"code": "invalid_join_code", "message": message}]},
        )


@transaction.atomic
def room_join(*, user: User, code: Any) -> Room:
    """Join a team room by its code as a member. Already in it: nothing changes. A wrong, old or
    malformed code is `InvalidJoinCode` (the view counts those for the throttle)."""
    normalised = normalise_join_code(str(code or ""))
    if not JOIN_CODE_PATTERN.match(normalised):
        raise InvalidJoinCode()
    room = Room.objects.select_for_update().filter(join_code=normalised, kind=RoomKind.TEAM).first()
    if room is None:
        raise InvalidJoinCode()
    if Membership.objects.filter(room=room, user_id=user.id).exists():
        return room
    Membership.objects.create(room=room, user_id=user.id, role=RoomRole.MEMBER)
    _history(
        room,
        action=MembershipChange.Action.JOINED,
        actor_id=user.id,
        subject_id=user.id,
        role_after=RoomRole.MEMBER,
    )
    publish_event(
        type="tasks.room.joined",
        key=room.id,
        actor=user.id,
        data={
            **_member_data(
                room,
                user_id=user.id,
                role=RoomRole.MEMBER,
                recipients=_managers(room, exclude=user.id),
            ),
            "via": "code",
        },
    )
    publish_access_granted(audience=room_audience(room.id), user_ids=[user.id], actor=user.id)
    return room


# ---------------------------------------------------------------------------------------------
# Leaving, removing, roles, ownership


def _take_out(
    room: Room,
    *,
    membership: Membership,
    reason: str,
    actor_id: Any = None,
) -> None:
    """The member leaves the room: off its tasks, out of its history-keeping and media audience."""
    user_id = membership.user_id
    role = membership.role
    membership.delete()
    unassign_from_room(user_id=user_id, room=room)
    action = {
        "left": MembershipChange.Action.LEFT,
        "removed": MembershipChange.Action.REMOVED,
        "account_deleted": MembershipChange.Action.ACCOUNT_DELETED,
    }[reason]
    _history(
        room,
        action=action,
        actor_id=actor_id if reason == "removed" else (user_id if reason == "left" else None),
        subject_id=user_id,
        role_before=role,
    )
    data = _member_data(
        room, user_id=user_id, role=role, recipients=[user_id] if reason == "removed" else []
    )
    data["reason"] = reason
    if reason == "removed":
        data["actor_id"] = str(actor_id)
    publish_event(
        type="tasks.room.left",
        key=room.id,
        actor=actor_id if reason == "removed" else user_id,
        data=data,
    )
    publish_access_revoked(audience=room_audience(room.id), user_ids=[user_id], actor=actor_id)


@transaction.atomic
def room_leave(*, user: User, room_id: Any) -> None:
    """Leave a team room. The owner must hand ownership over first."""
    membership = membership_in(user=user, room_id=room_id, lock=True)
    room = membership.room
    _team_only(room)
    if membership.role == RoomRole.OWNER:
        raise Conflict(
            _("The owner must hand ownership over before leaving the room."),
            code="owner_must_hand_over",
        )
    _take_out(room, membership=membership, reason="left")


def _target(room: Room, *, user_id: Any) -> Membership:
    try:
        target_id = user_id if isinstance(user_id, UUID) else UUID(str(user_id))
    except ValueError:
        target_id = None
    membership = (
        Membership.objects.select_related("user").filter(room=room, user_id=target_id).first()
        if target_id
        else None
    )
    if membership is None:
        raise NotFound(_("This person is not a member of the room."), code="member_not_found")
    return membership


def _must_outrank(actor: Membership, target: Membership) -> None:
    if actor.user_id == target.user_id:
        raise Forbidden(_("You cannot change your own membership this way."), code="own_membership")
    if not outranks(actor.role, target.role):
        raise Forbidden(
            _("You can only manage members whose role is below yours."), code="role_too_low"
        )


@transaction.atomic
def member_remove(*, user: User, room_id: Any, user_id: Any) -> None:
    """An admin removes a member below them (the owner removes anyone but themself)."""
    actor = membership_in(user=user, room_id=room_id, at_least=RoomRole.ADMIN, lock=True)
    room = actor.room
    _team_only(room)
    target = _target(room, user_id=user_id)
    _must_outrank(actor, target)
    _take_out(room, membership=target, reason="removed", actor_id=user.id)


@transaction.atomic
def member_change_role(*, user: User, room_id: Any, user_id: Any, role: Any) -> Membership:
    """An admin changes the role of a member below them to a role below their own; the owner
    to any role but owner (that is `ownership_transfer`)."""
    actor = membership_in(user=user, room_id=room_id, at_least=RoomRole.ADMIN, lock=True)
    room = actor.room
    if role not in ASSIGNABLE_ROLES:
        raise ServiceError.for_field(
            "role", _("The role must be admin, member or viewer."), code="invalid_choice"
        )
    _team_only(room)
    target = _target(room, user_id=user_id)
    _must_outrank(actor, target)
    if actor.role != RoomRole.OWNER and ROLE_RANK[role] >= ROLE_RANK[actor.role]:
        raise ServiceError.for_field(
            "role", _("You can only give a role below your own."), code="role_too_high"
        )
    previous = target.role
    if previous == role:
        return target
    target.role = role
    target.save(update_fields=["role"])
    _history(
        room,
        action=MembershipChange.Action.ROLE_CHANGED,
        actor_id=user.id,
        subject_id=target.user_id,
        role_before=previous,
        role_after=role,
    )
    publish_event(
        type="tasks.room.role_changed",
        key=room.id,
        actor=user.id,
        data={
            **_member_data(room, user_id=target.user_id, role=role, recipients=[target.user_id]),
            "previous_role": previous,
            "actor_id": str(user.id),
        },
    )
    return target


def _hand_over(room: Room, *, old: Membership, new: Membership, actor_id: Any) -> None:
    """`new` becomes the owner, `old` an admin: two `role_changed` events."""
    new_previous = new.role
    new.role = RoomRole.OWNER
    new.save(update_fields=["role"])
    room.owner_id = new.user_id
    room.save(update_fields=["owner", "updated_at"])
    old.role = RoomRole.ADMIN
    old.save(update_fields=["role"])
    _history(
        room,
        action=MembershipChange.Action.OWNERSHIP,
        actor_id=actor_id,
        subject_id=new.user_id,
        role_before=new_previous,
        role_after=RoomRole.OWNER,
    )
    for member, previous, recipients in (
        (new, new_previous, [new.user_id]),
        (old, RoomRole.OWNER, [old.user_id] if old.user_id != actor_id else []),
    ):
        publish_event(
            type="tasks.room.role_changed",
            key=room.id,
            actor=actor_id,
            data={
                **_member_data(
                    room, user_id=member.user_id, role=member.role, recipients=recipients
                ),
                "previous_role": previous,
                "actor_id": str(actor_id),
            },
        )


@transaction.atomic
def ownership_transfer(*, user: User, room_id: Any, user_id: Any) -> Room:
    """The owner hands the room to another member and becomes an admin."""
    actor = membership_in(user=user, room_id=room_id, at_least=RoomRole.OWNER, lock=True)
    room = actor.room
    _team_only(room)
    try:
        target = _target(room, user_id=user_id)
    except NotFound:
        raise ServiceError.for_field(
            "user_id", _("This person is not a member of the room."), code="not_a_member"
        ) from None
    if target.user_id == actor.user_id:
        raise ServiceError.for_field(
            "user_id", _("You already own this room."), code="already_owner"
        )
    _hand_over(room, old=actor, new=target, actor_id=user.id)
    return room


# ---------------------------------------------------------------------------------------------
# Labels


def _clean_label(name: Any = None, color: Any = None) -> dict[str, str]:
    cleaned = {}
    if name is not None:
        value = str(name).strip()
        if not value:
            raise ServiceError.for_field("name", _("A label needs a name."), code="required")
        if len(value) > LABEL_NAME_MAX_LENGTH:
            raise ServiceError.for_field(
                "name",
                ngettext(
                    "A label's name has at most %(max)d character.",
                    "A label's name has at most %(max)d characters.",
                    LABEL_NAME_MAX_LENGTH,
                )
                % {"max": LABEL_NAME_MAX_LENGTH},
                code="max_length",
            )
        cleaned["name"] = value
    if color is not None:
        value = str(color).strip()
        if value and not COLOR_PATTERN.match(value):
            raise ServiceError.for_field(
                "color", _("A colour looks like #1a2b3c."), code="invalid_color"
            )
        cleaned["color"] = value.lower()
    return cleaned


def _label_exists() -> ServiceError:
    return ServiceError.for_field(
        "name", _("The room already has a label with this name."), code="label_exists"
    )


@transaction.atomic
def label_create(*, user: User, room_id: Any, name: Any, color: Any = "") -> Label:
    room = membership_in(user=user, room_id=room_id, at_least=RoomRole.ADMIN).room
    values = _clean_label(name=name, color=color if color is not None else "")
    if Label.objects.filter(room=room, name__iexact=values["name"]).exists():
        raise _label_exists()
    try:
        with transaction.atomic():
            return Label.objects.create(room=room, **values)
    except IntegrityError:  # a concurrent create of the same name
        raise _label_exists() from None


def _label(room: Room, label_id: Any) -> Label:
    try:
        label_uuid = UUID(str(label_id))
    except ValueError:
        label_uuid = None
    label = Label.objects.filter(room=room, id=label_uuid).first() if label_uuid else None
    if label is None:
        raise NotFound(_("No label with this id in the room."), code="label_not_found")
    return label


@transaction.atomic
def label_update(*, user: User, room_id: Any, label_id: Any, changes: dict[str, Any]) -> Label:
    # Locked: the room's tasks show the label (and their cached pages change with it).
    room = membership_in(user=user, room_id=room_id, at_least=RoomRole.ADMIN, lock=True).room
    label = _label(room, label_id)
    values = _clean_label(name=changes.get("name"), color=changes.get("color"))
    if (
        "name" in values
        and Label.objects.filter(room=room, name__iexact=values["name"])
        .exclude(id=label.id)
        .exists()
    ):
        raise _label_exists()
    for field, value in values.items():
        setattr(label, field, value)
    if values:
        try:
            with transaction.atomic():
                label.save(update_fields=list(values))
        except IntegrityError:
            raise _label_exists() from None
    return label


@transaction.atomic
def label_delete(*, user: User, room_id: Any, label_id: Any) -> None:
    # Locked: the room's tasks show the label (and their cached pages change with it).
    room = membership_in(user=user, room_id=room_id, at_least=RoomRole.ADMIN, lock=True).room
    _label(room, label_id).delete()


# ---------------------------------------------------------------------------------------------
# Assignments when someone leaves


def unassign_everywhere(*, user: Any, room: Room) -> int:
    """Take the person off every task of the room (`tasks.task.unassigned`, actor null) and
    write each task's history. Planning's own version wins when it exists (see
    `unassign_from_room`); this one is the small fallback. Returns the number of tasks."""
    from tasks.planning.models import Assignment, Task, TaskChange

    user_id = getattr(user, "id", user)
    task_ids = list(
        Assignment.objects.filter(user_id=user_id, task__room=room).values_list(
            "task_id", flat=True
        )
    )
    if not task_ids:
        return 0
    touch_rooms(room_ids=[room.id])
    before: dict[UUID, list[str]] = {task_id: [] for task_id in task_ids}
    for task_id, assignee_id in Assignment.objects.filter(task_id__in=task_ids).values_list(
        "task_id", "user_id"
    ):
        before[task_id].append(str(assignee_id))
    Assignment.objects.filter(user_id=user_id, task_id__in=task_ids).delete()
    tasks = Task.objects.filter(id__in=task_ids).only("id", "title")
    TaskChange.objects.bulk_create(
        TaskChange(
            task=task,
            actor=None,
            field="assignees",
            before=sorted(before[task.id]),
            after=sorted(a for a in before[task.id] if a != str(user_id)),
        )
        for task in tasks
    )
    for task in tasks:
        publish_event(
            type="tasks.task.unassigned",
            key=task.id,
            data={
                "room_id": str(room.id),
                "room_name": room.name,
                "task_id": str(task.id),
                "title": task.title,
                "room_kind": room.kind,
                "assignee_ids": [str(user_id)],
                "actor_id": None,
            },
        )
    return len(task_ids)


def unassign_from_room(*, user_id: Any, room: Room) -> None:
    """planning's `unassign_everywhere` when it exists, else the small one above."""
    implementation: Any = unassign_everywhere
    try:
        from tasks.planning import services as planning

        implementation = getattr(planning, "unassign_everywhere", unassign_everywhere)
    except ImportError:
        pass
    implementation(user=UserRef(id=user_id), room=room)


# ---------------------------------------------------------------------------------------------
# Account deletion


def _successor(room: Room, *, leaving: Any) -> Membership | None:
    """Who inherits a room: the longest-standing admin, else member, else viewer."""
    for role in (RoomRole.ADMIN, RoomRole.MEMBER, RoomRole.VIEWER):
        found = (
            Membership.objects.filter(room=room, role=role)
            .exclude(user_id=leaving)
            .order_by("joined_at", "id")
            .first()
        )
        if found is not None:
            return found
    return None


@transaction.atomic
def user_deleted(*, user_id: UUID) -> None:
    """An account was deleted (`auth.user.deleted`): it leaves every team room (owned rooms go
    to a successor, or are deleted when nobody else is in them), its personal space goes, its
    assignments go, and its comments become tombstones. Idempotent: a second run finds nothing."""
    room_ids = list(
        Membership.objects.filter(user_id=user_id, room__kind=RoomKind.TEAM)
        .order_by("room_id")
        .values_list("room_id", flat=True)
    )
    for room_id in room_ids:
        touch_rooms(room_ids=[room_id])  # the room's lock, and its cached pages go
        room = Room.objects.filter(id=room_id).first()
        membership = Membership.objects.filter(room_id=room_id, user_id=user_id).first()
        if room is None or membership is None:
            continue
        if membership.role == RoomRole.OWNER:
            successor = _successor(room, leaving=user_id)
            if successor is None:
                _delete_room(room, actor_id=user_id)
                continue
            _hand_over(room, old=membership, new=successor, actor_id=user_id)
        _take_out(room, membership=membership, reason="account_deleted")
    for personal in Room.objects.filter(owner_id=user_id, kind=RoomKind.PERSONAL):
        _delete_room(personal, actor_id=user_id)
    _forget_assignments_and_comments(user_id=user_id)
    # Its name is now `deleted-…` wherever a page shows it (a task it created or completed).
    touch_rooms_showing(user_id=user_id)


def touch_rooms_showing(*, user_id: UUID) -> None:
    """Raise the version of every room whose pages may show the person's name (a member's, a
    task's creator, assignee or completer): the account was deleted and its username became
    `deleted-…` (usernames change nowhere else). Rare, so the few index scans do not matter."""
    from tasks.planning.models import Assignment, Task

    tasks = Task.objects.filter(Q(creator_id=user_id) | Q(completed_by_id=user_id))
    room_ids = {
        *Membership.objects.filter(user_id=user_id).values_list("room_id", flat=True),
        *tasks.order_by().values_list("room_id", flat=True).distinct(),
        *Assignment.objects.filter(user_id=user_id)
        .order_by()
        .values_list("task__room_id", flat=True)
        .distinct(),
    }
    touch_rooms(room_ids=room_ids)


def _forget_assignments_and_comments(*, user_id: UUID) -> None:
    """Whatever is left after leaving the rooms (a task of a room left earlier cannot hold them,
    but a comment can): the comments become tombstones, like social's."""
    from tasks.comments.models import Comment
    from tasks.planning.models import Assignment

    for room in Room.objects.filter(tasks__assignments__user_id=user_id).distinct():
        unassign_from_room(user_id=user_id, room=room)
    Assignment.objects.filter(user_id=user_id).delete()
    Comment.objects.filter(author_id=user_id).update(
        body="", author=None, deleted_at=timezone.now()
    )
    Comment.mentioned.through.objects.filter(userref_id=user_id).delete()
