"""The account roles (user < moderator < admin) and the rules between them, in one place.

auth-service owns an account's role; every other service reads it from the token, corrected by
its `UserRef` projection. Every comparison of roles goes through these helpers, so that a new
role or a changed rank is one edit here, and an unknown string (an old projection row, a typo)
ranks as a plain user's everywhere instead of failing open somewhere.

Room roles in tasks-service (owner / admin / member / viewer) are another thing: they belong to a
room, not to an account, and live with that service.

No Django here: the event declarations (pydantic, `cotask_common.contracts`) use `RoleName` too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

# The wire form of a role: the token's `role` claim, event payloads, API fields.
RoleName = Literal["user", "moderator", "admin"]


class Role(StrEnum):
    """An account's role. A `str`, so it compares equal to (and serializes as) its name."""

    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for a Django model or DRF choice field."""
        return [(role.value, role.label) for role in cls]

    @classmethod
    def parse(cls, value: object) -> Role:
        """The role named `value`; anything unknown (or missing) is a plain user."""
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        return cls.USER


_RANK = {Role.USER: 0, Role.MODERATOR: 1, Role.ADMIN: 2}


def rank(role: str | None) -> int:
    """The rank of a role name; unknown or missing ranks as a user's."""
    return Role.parse(role).rank


def at_least(role: str | None, minimum: Role) -> bool:
    """`role` is `minimum` or above it."""
    return rank(role) >= minimum.rank


def roles_at_least(minimum: Role) -> tuple[Role, ...]:
    """Every role from `minimum` up, for a query (`role__in=...`)."""
    return tuple(role for role in Role if role.rank >= minimum.rank)


def outranks(*, actor_role: str | None, target_role: str | None) -> bool:
    """The rank rule of moderation: one acts only on accounts (and their content) of a lower
    role, so a moderator never on a moderator's or an admin's, an admin never on an admin's.
    An unknown role ranks as a user's."""
    return rank(actor_role) > rank(target_role)


def role_of(user: object) -> Role | None:
    """The role of a signed-in caller (TokenUser, UserRef, auth's User); None for an anonymous
    caller (None or Django's AnonymousUser)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    return Role.parse(getattr(user, "role", None))


def can_moderate(user: object) -> bool:
    """A signed-in moderator or admin: sees blocked content, may moderate (within `outranks`)."""
    role = role_of(user)
    return role is not None and at_least(role, Role.MODERATOR)


def is_admin(user: object) -> bool:
    """A signed-in admin."""
    return role_of(user) is Role.ADMIN
