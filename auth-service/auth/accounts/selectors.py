from __future__ import annotations

from django.db.models import Q

from auth.accounts.models import User


def find_user_for_login(*, login: str) -> User | None:
    """By username or email, regardless of case."""
    login = login.strip()
    if not login:
        return None
    return User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).first()
