"""Who may moderate through Django admin.

Admin sessions here are Django's own accounts (`manage.py createsuperuser`, or staff accounts
added in admin), not CoTask tokens; the moderation services need a CoTask account and its role.
A staff account is linked to the CoTask account with exactly its username, and moderates while
that account (auth-service's projection, `UserRef`) is a moderator or admin that is neither
banned nor deleted. Role changes and bans reach the projection through `auth.user.*` events, so
a demoted or banned moderator loses admin access within seconds, mid-session.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.utils import timezone

from cotask_common.roles import Role, roles_at_least
from cotask_common.users.models import UserRef

MODERATOR_ROLES = roles_at_least(Role.MODERATOR)
# What a linked moderator may browse without Django permissions being granted by hand.
MODERATED_APPS = ("social_pages", "social_posts", "social_moderation", "social_chat")
_CACHE = "_social_moderator"


def moderator_account(user: Any) -> UserRef | None:
    """The CoTask moderator or admin an admin session acts as, or None.

    Cached on the user object, which Django loads anew for each request: one query per request,
    and a role change applies from the next one.
    """
    if not (
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
    ):
        return None
    if not hasattr(user, _CACHE):
        now = timezone.now()
        # Exact match: it uses the username index, and auth-service keeps usernames unique.
        rows = list(
            UserRef.objects.filter(
                username=user.get_username(), role__in=MODERATOR_ROLES, is_deleted=False
            ).exclude(Q(is_banned=True) & (Q(banned_until__isnull=True) | Q(banned_until__gt=now)))
        )
        # Two rows with one name (a rename not yet projected) link to nobody rather than a guess.
        setattr(user, _CACHE, rows[0] if len(rows) == 1 else None)
    return getattr(user, _CACHE)


@cache
def _view_permissions() -> frozenset[str]:
    return frozenset(
        f"{model._meta.app_label}.view_{model._meta.model_name}"
        for label in MODERATED_APPS
        for model in apps.get_app_config(label).get_models()
    )


class ModeratorAdminBackend(ModelBackend):
    """Django's accounts and permissions, plus: a staff account linked to a CoTask moderator or
    admin may view pages, posts and moderation (everything there is read-only; the actions that
    change something check the link themselves). Unlinked staff keep only what Django grants."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        permissions = super().get_all_permissions(user_obj, obj)
        if obj is None and moderator_account(user_obj) is not None:
            return {*permissions, *_view_permissions()}
        return permissions
