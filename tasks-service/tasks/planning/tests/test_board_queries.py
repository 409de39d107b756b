"""The board's cost does not grow with its columns: the related rows (assignees, labels,
blockers) of every column's tasks come in one query each, not one each per column."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_the_board_fetches_related_rows_once_for_all_columns(
    cast: Any, django_assert_max_num_queries: Any, warm: Any
) -> None:
    me = str(cast.member.user.id)
    for status in ("pending", "in_progress", "completed"):
        for n in range(3):
            response = cast.member.post(
                f"/api/tasks/rooms/{cast.room.id}/tasks/",
                {"title": f"{status} {n}", "status": status, "assignee_ids": [me]},
                format="json",
            )
            assert response.status_code == 201, response.json()
    warm()
    # membership + 3 column pages + assignments, labels, blockers once (was 13: 3 per column).
    with django_assert_max_num_queries(7):
        body = cast.viewer.get(f"/api/tasks/rooms/{cast.room.id}/board/").json()
    assert [len(column["tasks"]) for column in body["columns"]] == [3, 3, 3]
    assert all(
        task["assignees"][0]["id"] == me for column in body["columns"] for task in column["tasks"]
    )
