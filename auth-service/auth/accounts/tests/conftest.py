"""Factories for accounts and signed-in clients, through the real login."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from auth.accounts import services
from auth.accounts.keys import reset_key_cache
from auth.accounts.models import User
from cotask_common.security.keys import set_key_provider
from cotask_common.users.selectors import invalidate_restrictions

PASSWORD = "correct-Horse-battery-9"


@pytest.fixture(autouse=True)
def own_keys() -> Iterator[None]:
    # auth-service verifies with its own keys (the shared kit installs test keys elsewhere).
    set_key_provider(None)
    reset_key_cache()
    invalidate_restrictions()
    yield
    set_key_provider(None)
    reset_key_cache()


@pytest.fixture
def make_account(db: Any) -> Callable[..., User]:
    """An account (not announced: tests of events register through the API)."""
    counter = iter(range(1, 10_000))

    def factory(username: str | None = None, *, password: str = PASSWORD, **fields: Any) -> User:
        username = username or f"member{next(counter)}"
        fields.setdefault("email", f"{username}@example.com")
        fields.setdefault("email_verified", True)
        fields.setdefault("display_name", username.title())
        user = User(username=username, **fields)
        user.set_password(password)
        user.save()
        return user

    return factory


class AccountClient(APIClient):
    user: User
    tokens: services.TokenPair


@pytest.fixture
def signed_in(make_account: Callable[..., User]) -> Callable[..., AccountClient]:
    """`signed_in(user=None, role="user", **account_fields)`: an API client with a real session."""

    def factory(
        user: User | None = None,
        *,
        password: str = PASSWORD,
        user_agent: str = "pytest",
        **fields: Any,
    ) -> AccountClient:
        user = user or make_account(password=password, **fields)
        pair = services.login(login=user.username, password=password, user_agent=user_agent)
        client = AccountClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
        client.user, client.tokens = user, pair
        return client

    return factory


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """`with on_commit(): ...` runs what the code deferred to after its commit (emails)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
