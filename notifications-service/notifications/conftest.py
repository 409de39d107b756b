"""Fixtures for notifications-service's tests: Celery eager, local mail, announced users, events."""

from __future__ import annotations

import dataclasses
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

    def factory(
        *, language: str = "en", username: str | None = None, time_zone: str = "UTC", **fields: Any
    ) -> Any:
        user_id = uuid.uuid4()
        username = username or f"u{user_id.hex[:8]}"
        user = make_user(id=user_id, username=username, time_zone=time_zone, **fields)
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
                "time_zone": time_zone,
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


@pytest.fixture
def room() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def tasks_event(deliver: Callable[..., bool], room: str) -> Callable[..., Any]:
    """`tasks_event(type, recipients, ago=..., **data)`: tasks-service's event as declared,
    for `room` (named `helpers.ROOM`), delivered through the consumer's path and returned."""
    from datetime import timedelta

    from django.utils import timezone

    from cotask_common.events.testing import example_event
    from notifications.tests.helpers import ROOM

    def run(type: str, recipients: Any, *, ago: float = 0, **data: Any) -> Any:
        if type == "tasks.room.deleted":
            data.setdefault("id", room)
        elif type.startswith("tasks.room."):
            data.setdefault("room_id", room)
            data.setdefault("room_name", ROOM)
        else:
            data = {"room_id": room, "room_name": ROOM, "title": "Ship it", **data}
        if recipients is not None:
            data["recipient_ids"] = [str(r.id) for r in recipients]
        event = example_event(type, **data)
        if ago:
            event = dataclasses.replace(event, occurred_at=timezone.now() - timedelta(seconds=ago))
        deliver(event)
        return event

    return run


@pytest.fixture
def habit() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def habits_event(deliver: Callable[..., bool], habit: str) -> Callable[..., Any]:
    """`habits_event(type, owner, **data)`: habits-service's event as declared, about `habit`
    owned by `owner`, delivered through the consumer's path and returned."""
    from cotask_common.events.testing import example_event

    def run(type: str, owner: Any, **data: Any) -> Any:
        data = {"habit_id": habit, "owner_id": str(owner.id), "habit_name": "Read", **data}
        event = example_event(type, **data)
        deliver(event)
        return event

    return run
