"""DRF permission classes for account roles (from the token, adjusted by the local projection).

Views use DRF's own classes (`IsAuthenticated`, `AllowAny`) and these `HasRole` subclasses for
who may call an endpoint at all; whether the caller may act on a given object (its owner, the
rank rule) is decided in the services, which every caller (API, admin, events) goes through.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from cotask_common.roles import Role, at_least, outranks, role_of

__all__ = ["HasRole", "IsAdmin", "IsEmailVerified", "IsModerator", "outranks"]


class HasRole(BasePermission):
    """A signed-in caller with at least `minimum_role`; subclass or use `IsModerator` /
    `IsAdmin`."""

    minimum_role: Role = Role.USER
    message: str | Promise = gettext_lazy("This needs a higher role.")

    def has_permission(self, request: Request, view: Any) -> bool:
        role = role_of(request.user)
        if role is None:
            return False
        # The role's name is a code (`moderator`), the same in every language.
        self.message = _("This needs the %(role)s role.") % {"role": self.minimum_role.value}
        return at_least(role, self.minimum_role)


class IsModerator(HasRole):
    minimum_role = Role.MODERATOR


class IsAdmin(HasRole):
    minimum_role = Role.ADMIN


class IsEmailVerified(BasePermission):
    message = gettext_lazy("Verify your email address first.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "email_verified", False))
