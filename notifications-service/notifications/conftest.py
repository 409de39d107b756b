"""Fixtures for notifications-service's tests: Celery eager, local mail, announced users, events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def celery_eager() -> Iterator[None]:
    from config.celery import app

    eager, propagates = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = eager, propagates


@pytest.fixture(autouse=True)
def local_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def deliver() -> Callable[..., bool]:
    """`deliver(type=..., key=..., data=..., actor=...)` or `deliver(event)`: through the
    consumer's idempotent path, on-commit callbacks run."""
    from cotask_common.events.testing import handle_event, make_event

    def run(event: Any = None, **fields: Any) -> bool:
        return handle_event(event if event is not None else make_event(**fields))

    return run


@pytest.fixture
def announce(make_user: Callable[..., Any], deliver: Callable[..., bool]) -> Callable[..., Any]:
    """A person as auth-service announces them: UserRef and the local Recipient projection."""

    def factory(*, language: str = "en", username: str | None = None, **fields: Any) -> Any:
        user_id = uuid.uuid4()
        username = username or f"u{user_id.hex[:8]}"
        user = make_user(id=user_id, username=username, **fields)
        deliver(
            type="auth.user.registered",
            key=user_id,
            data={
                "id": str(user_id),
                "username": username,
                "display_name": username.capitalize(),
                "role": user.role,
                "email_verified": True,
                "email": f"{username}@example.com",
                "language": language,
                "time_zone": "UTC",
            },
        )
        return user

    return factory


@pytest.fixture
def like(deliver: Callable[..., bool]) -> Callable[..., Any]:
    """`like(author, liker, post_id=...)`: the social.like.created event, returned."""
    from cotask_common.events.testing import make_event

    def run(author: Any, liker: Any, *, post_id: Any = None, kind: str = "post") -> Any:
        post_id = str(post_id or uuid.uuid4())
        event = make_event(
            type="social.like.created",
            key=post_id,
            actor=liker.id,
            data={
                "target_type": kind,
                "target_id": post_id,
                "post_id": post_id,
                "target_author_id": str(author.id),
                "user_id": str(liker.id),
            },
        )
        deliver(event)
        return event

    return run


@pytest.fixture
def follow(deliver: Callable[..., bool]) -> Callable[..., Any]:
    """`follow(user, page_id, page_name=..., event=...)`: social's announcement that `user`
    follows the page (`social.follow.created` unless `event` names another), returned."""
    from cotask_common.events.testing import make_event

    def run(
        user: Any, page_id: Any, *, page_name: str = "Study group", event: str = "created"
    ) -> Any:
        announced = make_event(
            type=f"social.follow.{event}",
            key=uuid.uuid4(),
            actor=user.id,
            data={
                "page_id": str(page_id),
                "page_name": page_name,
                "page_owner_id": str(uuid.uuid4()),
                "follower_id": str(user.id),
                "user_id": str(user.id),
                "recipient_ids": [],
            },
        )
        deliver(announced)
        return announced

    return run
