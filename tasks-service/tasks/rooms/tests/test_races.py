"""Concurrent first uses and joins on PostgreSQL: one personal space, one membership, one event."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from cotask_common.events.models import OutboxEvent
from tasks.rooms import services
from tasks.rooms.models import Membership, Room

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(count: int, work: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        from django.db import connections

        try:
            barrier.wait()
            results.append(work())
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
def test_first_uses_at_once_make_one_personal_space(make_user: Any) -> None:
    user = make_user()
    rooms = _at_once(4, lambda: services.personal_space_for(user=user).id)
    assert len(set(rooms)) == 1
    assert Room.objects.filter(owner=user, kind="personal").count() == 1
    assert Membership.objects.filter(user=user).count() == 1
    assert OutboxEvent.objects.filter(type="tasks.room.created").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
def test_one_person_joining_twice_at_once_joins_once(make_user: Any) -> None:
    owner, joiner = make_user(), make_user()
    room = services.room_create(user=owner, name="Team")
    _at_once(4, lambda: services.room_join(user=joiner, code=room.join_code).id)
    assert Membership.objects.filter(room=room, user=joiner).count() == 1
    assert OutboxEvent.objects.filter(type="tasks.room.joined").count() == 1
