"""Fixtures for social-service's tests: fan-out runs inside the request ("sync"), and on Redis
every test gets its own key prefix, removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def feed_settings(settings: Any) -> Iterator[None]:
    settings.SOCIAL_FEED_FANOUT_MODE = "sync"
    prefix = f"social:test:{uuid.uuid4().hex}:"
    settings.SOCIAL_FEED_KEY_PREFIX = prefix
    yield
    if settings.SOCIAL_FEED_BACKEND == "redis":
        from social.feed.timelines import get_timelines

        client = get_timelines().client
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture
def member(make_user: Callable[..., Any], client_for: Callable[..., Any]) -> Callable[..., Any]:
    """`member(username=None, role="user")`: a user with a personal page and an API client
    (`.user`, `.page`)."""
    from social.pages.services import create_personal_page

    def factory(username: str | None = None, *, role: str = "user", **fields: Any) -> Any:
        user = make_user(role=role, username=username, **fields)
        client = client_for(user)
        client.page = create_personal_page(user_id=user.id, username=user.username)
        return client

    return factory


@pytest.fixture
def page_of(db: Any) -> Callable[..., Any]:
    """`page_of(client, handle, private=False)`: another page owned by the client's user."""
    from social.pages.services import create_page

    def factory(client: Any, handle: str, *, private: bool = False, **fields: Any) -> Any:
        return create_page(
            owner_id=client.user.id,
            handle=handle,
            name=handle.title(),
            is_private=private,
            **fields,
        )

    return factory


@pytest.fixture
def anon(api_client: Any, trust_test_keys: Any) -> Any:
    return api_client
