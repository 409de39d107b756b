"""Django admin's login: the same accounts, but never a banned or deleted one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if getattr(user, "deleted_at", None) is not None:
            return False
        if user.is_banned_at():
            return False
        return super().user_can_authenticate(user)
