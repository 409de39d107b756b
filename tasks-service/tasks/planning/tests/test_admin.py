"""Django admin shows tasks with their assignments inline, and the history read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tasks.planning.models import Task, TaskChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def test_tasks_and_their_history_are_in_admin(staff: Any, cast: Any) -> None:
    response = cast.member.post(
        f"/api/tasks/rooms/{cast.room.id}/tasks/",
        {"title": "Admin me", "assignee_ids": [str(cast.member.user.id)]},
        format="json",
    )
    task = Task.objects.get(id=response.json()["id"])
    listing = staff.get("/admin/tasks/planning/task/?q=Admin")
    assert listing.status_code == 200 and b"Admin me" in listing.content
    page = staff.get(f"/admin/tasks/planning/task/{task.id}/change/")
    assert page.status_code == 200
    assert b"assignments-TOTAL_FORMS" in page.content  # the inline
    change = TaskChange.objects.get(task=task)
    assert staff.get("/admin/tasks/planning/taskchange/").status_code == 200
    history = staff.get(f"/admin/tasks/planning/taskchange/{change.id}/change/")
    assert history.status_code == 200
    assert b'name="_save"' not in history.content  # read-only
    assert staff.get("/admin/tasks/planning/taskchange/add/").status_code == 403
