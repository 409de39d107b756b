"""Role permissions from the token (adjusted by the local projection)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

ROLE_RANK = {"user": 0, "moderator": 1, "admin": 2}


def outranks(*, actor_role: str, target_role: str) -> bool:
    """The rank rule of moderation: one acts only on accounts (and their content) of a lower
    role, so a moderator never on a moderator's or an admin's, an admin never on an admin's.
    An unknown role ranks as a user's."""
    return ROLE_RANK.get(actor_role, 0) > ROLE_RANK.get(target_role, 0)


class HasRole(BasePermission):
    """At least `minimum_role`; subclass or use `IsModerator` / `IsAdmin`."""

    minimum_role = "user"
    message = "This needs the {role} role."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        self.message = self.message.format(role=self.minimum_role)
        return ROLE_RANK.get(getattr(user, "role", "user"), 0) >= ROLE_RANK[self.minimum_role]


class IsModerator(HasRole):
    minimum_role = "moderator"


class IsAdmin(HasRole):
    minimum_role = "admin"


class IsEmailVerified(BasePermission):
    message = "Verify your email address first."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "email_verified", False))
