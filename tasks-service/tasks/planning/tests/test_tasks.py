"""Creating, reading, editing and deleting tasks: the fields and their validation, completion,
the history rows and the `tasks.task.*` events."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.planning.models import Assignment, Priority, Status, Task, TaskChange
from tasks.planning.services import NO_DEADLINE
from tasks.rooms.models import Label, RoomKind

pytestmark = pytest.mark.django_db


def _create(client: Any, room: Any, **fields: Any) -> Any:
    return client.post(f"/api/tasks/rooms/{room.id}/tasks/", fields, format="json")


def _patch(client: Any, task_id: Any, **fields: Any) -> Any:
    return client.patch(f"/api/tasks/tasks/{task_id}/", fields, format="json")


def _field_error(response: Any, field: str) -> str:
    body = response.json()
    names = [name for name in body.get("fields", {}) if name.split(".")[0] == field]
    assert names, body
    return body["fields"][names[0]][0]["code"]


# ---------------------------------------------------------------------------------------------
# Create


def test_a_member_creates_a_task_with_every_field(cast: Any, published_events: Any) -> None:
    label = Label.objects.create(room=cast.room, name="Backend", color="#112233")
    response = _create(
        cast.member,
        cast.room,
        title="  Ship the board  ",
        description="Columns and moves",
        status="in_progress",
        priority="urgent",
        due="2026-12-24T18:00:00+02:00",
        estimate_minutes=90,
        assignee_ids=[str(cast.admin.user.id), str(cast.member.user.id)],
        label_ids=[str(label.id)],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == "Ship the board"
    assert body["room"] == {"id": str(cast.room.id), "name": "Launch", "kind": "team"}
    assert body["status"] == "in_progress"
    assert body["priority"] == "urgent"
    assert body["due"] == {"date": None, "at": "2026-12-24T16:00:00Z"}
    assert body["estimate_minutes"] == 90
    assert {a["username"] for a in body["assignees"]} == {"adam", "mila"}
    assert body["labels"] == [{"id": str(label.id), "name": "Backend", "color": "#112233"}]
    assert body["creator"]["username"] == "mila"
    assert body["completed_at"] is None and body["completed_by"] is None
    assert body["subtasks_progress"] == {"done": 0, "total": 0}
    assert body["blocked_by"] == [] and body["is_blocked"] is False
    task = Task.objects.get(id=body["id"])
    assert task.priority == Priority.URGENT  # stored as a number
    assert task.due_sort == task.due_at

    created = TaskChange.objects.get(task=task)
    assert created.field == "created" and created.actor_id == cast.member.user.id
    assert created.after is not None and created.after["title"] == "Ship the board"

    events = published_events("tasks.task.")
    assert [e.type for e in events] == ["tasks.task.created", "tasks.task.assigned"]
    data = events[0].data
    assert data["task_id"] == body["id"] and data["room_kind"] == "team"
    assert data["room_name"] == "Launch" and data["creator_id"] == str(cast.member.user.id)
    assert data["priority"] == "urgent" and data["status"] == "in_progress"
    assert data["due_date"] is None and data["due_at"].startswith("2026-12-24T16:00:00")
    assert sorted(data["assignee_ids"]) == sorted(
        [str(cast.admin.user.id), str(cast.member.user.id)]
    )
    # Assigning yourself tells nobody; the others are told.
    assert events[1].data["recipient_ids"] == [str(cast.admin.user.id)]


def test_a_task_is_made_with_just_a_title_at_the_end_of_its_column(cast: Any) -> None:
    first = _create(cast.member, cast.room, title="One").json()
    second = _create(cast.member, cast.room, title="Two").json()
    assert first["status"] == "pending" and first["priority"] == "none"
    assert first["due"] is None and first["assignees"] == []
    assert second["position"] > first["position"]


def test_an_all_day_deadline_is_a_date(cast: Any) -> None:
    body = _create(cast.member, cast.room, title="Date", due="2026-12-31").json()
    assert body["due"] == {"date": "2026-12-31", "at": None}
    task = Task.objects.get(id=body["id"])
    assert task.due_at is None and task.due_sort is not None
    assert task.due_sort.isoformat() == "2026-12-31T00:00:00+00:00"


@pytest.mark.parametrize(
    "due",
    [
        "2026-12-31T10:00:00",  # no offset: which time zone?
        "31.12.2026",
        "2026-13-01",
        "tomorrow",
        "2026-12-31T25:00:00+00:00",
        20261231,
        "",
        {"date": "2026-12-31"},
    ],
)
def test_a_deadline_in_a_bad_format_is_refused_naming_due(cast: Any, due: Any) -> None:
    response = _create(cast.member, cast.room, title="Bad", due=due)
    assert response.status_code == 400
    assert _field_error(response, "due") == "invalid_due"
    assert not Task.objects.exists()


def test_a_256_character_title_is_refused_naming_title(cast: Any) -> None:
    response = _create(cast.member, cast.room, title="x" * 256)
    assert response.status_code == 400
    assert _field_error(response, "title") == "max_length"
    assert _create(cast.member, cast.room, title="x" * 255).status_code == 201


@pytest.mark.parametrize("title", ["", "   "])
def test_a_blank_title_is_refused(cast: Any, title: str) -> None:
    response = _create(cast.member, cast.room, title=title)
    assert response.status_code == 400
    _field_error(response, "title")


def test_an_assignee_who_is_not_a_member_is_refused_naming_assignee_ids(cast: Any) -> None:
    response = _create(
        cast.member, cast.room, title="Nope", assignee_ids=[str(cast.stranger.user.id)]
    )
    assert response.status_code == 400
    assert _field_error(response, "assignee_ids") == "not_a_member"
    assert not Task.objects.exists()


def test_a_label_of_another_room_is_refused_naming_label_ids(cast: Any, make_room: Any) -> None:
    elsewhere = Label.objects.create(room=make_room(), name="Other")
    response = _create(cast.member, cast.room, title="Nope", label_ids=[str(elsewhere.id)])
    assert response.status_code == 400
    assert _field_error(response, "label_ids") == "label_not_found"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "done"),
        ("priority", "critical"),
        ("priority", 3),
        ("estimate_minutes", -5),
        ("estimate_minutes", 100_001),
        ("assignee_ids", ["not-a-uuid"]),
    ],
)
def test_other_bad_values_name_their_field(cast: Any, field: str, value: Any) -> None:
    response = _create(cast.member, cast.room, title="Bad", **{field: value})
    assert response.status_code == 400
    _field_error(response, field)


def test_a_task_created_completed_records_who_and_when(cast: Any) -> None:
    body = _create(cast.member, cast.room, title="Done already", status="completed").json()
    assert body["completed_by"]["id"] == str(cast.member.user.id)
    assert body["completed_at"] is not None


# ---------------------------------------------------------------------------------------------
# The personal space


def test_my_personal_space_takes_tasks_and_only_me_as_assignee(
    client_for: Any, make_user: Any, published_events: Any
) -> None:
    me = client_for(make_user(username="pia"))
    other = make_user(username="otto")
    response = me.post(
        "/api/tasks/personal/tasks/",
        {"title": "Mine", "assignee_ids": [str(me.user.id)]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["room"]["kind"] == RoomKind.PERSONAL
    assert response.json()["assignees"] == [{"id": str(me.user.id), "username": "pia"}]
    again = me.post("/api/tasks/personal/tasks/", {"title": "Second"}, format="json")
    assert again.json()["room"]["id"] == response.json()["room"]["id"]  # the same space
    refused = me.post(
        "/api/tasks/personal/tasks/",
        {"title": "Theirs", "assignee_ids": [str(other.id)]},
        format="json",
    )
    assert refused.status_code == 400
    assert _field_error(refused, "assignee_ids") == "not_a_member"
    created = published_events("tasks.task.created")
    assert {e.data["room_kind"] for e in created} == {"personal"}


def test_nobody_else_reads_or_writes_my_personal_space_tasks(
    client_for: Any, make_user: Any
) -> None:
    me = client_for(make_user())
    other = client_for(make_user())
    task_id = me.post("/api/tasks/personal/tasks/", {"title": "Mine"}, format="json").json()["id"]
    for response in (
        other.get(f"/api/tasks/tasks/{task_id}/"),
        _patch(other, task_id, title="Hijack"),
        other.delete(f"/api/tasks/tasks/{task_id}/"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "task_not_found"


# ---------------------------------------------------------------------------------------------
# Edit, complete, reopen


def test_every_changed_field_is_a_history_row(cast: Any) -> None:
    label = Label.objects.create(room=cast.room, name="Ops")
    task_id = _create(cast.member, cast.room, title="Old", due="2026-12-10").json()["id"]
    response = _patch(
        cast.admin,
        task_id,
        title="New",
        description="Now with words",
        priority="high",
        due="2026-12-11T09:30:00Z",
        estimate_minutes=30,
        assignee_ids=[str(cast.viewer.user.id)],
        label_ids=[str(label.id)],
    )
    assert response.status_code == 200, response.json()
    changes = {
        c.field: (c.before, c.after, c.actor_id)
        for c in TaskChange.objects.filter(task_id=task_id).exclude(field="created")
    }
    actor = cast.admin.user.id
    assert changes == {
        "title": ("Old", "New", actor),
        "description": ("", "Now with words", actor),
        "priority": ("none", "high", actor),
        "due": (
            {"date": "2026-12-10", "at": None},
            {"date": None, "at": "2026-12-11T09:30:00Z"},
            actor,
        ),
        "estimate_minutes": (None, 30, actor),
        "assignees": ([], [str(cast.viewer.user.id)], actor),
        "labels": ([], [str(label.id)], actor),
    }
    # The same values again change nothing and write nothing.
    count = TaskChange.objects.count()
    updated_at = Task.objects.get(id=task_id).updated_at
    assert _patch(cast.admin, task_id, title="New", priority="high").status_code == 200
    assert TaskChange.objects.count() == count
    assert Task.objects.get(id=task_id).updated_at == updated_at


def test_clearing_the_deadline_and_estimate(cast: Any) -> None:
    task_id = _create(
        cast.member, cast.room, title="T", due="2026-12-10", estimate_minutes=5
    ).json()["id"]
    body = _patch(cast.member, task_id, due=None, estimate_minutes=None).json()
    assert body["due"] is None and body["estimate_minutes"] is None
    assert Task.objects.get(id=task_id).due_sort == NO_DEADLINE  # sorts after every deadline


def test_a_bad_deadline_on_edit_names_due(cast: Any) -> None:
    task_id = _create(cast.member, cast.room, title="T").json()["id"]
    response = _patch(cast.member, task_id, due="2026-12-10 10:00")
    assert response.status_code == 400
    assert _field_error(response, "due") == "invalid_due"
    assert _field_error(_patch(cast.member, task_id, title="y" * 256), "title") == "max_length"
    bad_assignee = _patch(cast.member, task_id, assignee_ids=[str(cast.stranger.user.id)])
    assert _field_error(bad_assignee, "assignee_ids") == "not_a_member"


def test_completing_records_who_and_when_and_reopening_clears_it(
    cast: Any, published_events: Any
) -> None:
    task_id = _create(cast.member, cast.room, title="Finish").json()["id"]
    done = _patch(cast.admin, task_id, status="completed").json()
    assert done["status"] == "completed"
    assert done["completed_by"] == {"id": str(cast.admin.user.id), "username": "adam"}
    assert done["completed_at"] is not None
    events = published_events("tasks.task.")
    assert [e.type for e in events][-2:] == ["tasks.task.status_changed", "tasks.task.completed"]
    changed, completed = events[-2].data, events[-1].data
    assert (changed["previous_status"], changed["status"]) == ("pending", "completed")
    assert changed["actor_id"] == str(cast.admin.user.id)
    assert completed["completed_by"] == str(cast.admin.user.id)
    assert completed["completed_at"].startswith(done["completed_at"][:19])

    reopened = _patch(cast.member, task_id, status="in_progress").json()
    assert reopened["completed_at"] is None and reopened["completed_by"] is None
    last = published_events("tasks.task.")[-1]
    assert last.type == "tasks.task.status_changed"
    assert (last.data["previous_status"], last.data["status"]) == ("completed", "in_progress")
    statuses = list(
        TaskChange.objects.filter(task_id=task_id, field="status")
        .order_by("id")
        .values_list("before", "after")
    )
    assert statuses == [("pending", "completed"), ("completed", "in_progress")]


def test_statuses_move_freely(cast: Any) -> None:
    task_id = _create(cast.member, cast.room, title="Free").json()["id"]
    for status in ("completed", "pending", "in_progress", "pending", "completed"):
        assert _patch(cast.member, task_id, status=status).json()["status"] == status


def test_assigning_and_unassigning_publish_what_changed(cast: Any, published_events: Any) -> None:
    admin, viewer = str(cast.admin.user.id), str(cast.viewer.user.id)
    task_id = _create(cast.member, cast.room, title="Who", assignee_ids=[admin]).json()["id"]
    _patch(cast.member, task_id, assignee_ids=[viewer, str(cast.member.user.id)])
    events = published_events("tasks.task.")[-2:]
    assert [e.type for e in events] == ["tasks.task.assigned", "tasks.task.unassigned"]
    assert sorted(events[0].data["assignee_ids"]) == sorted([viewer, str(cast.member.user.id)])
    assert events[0].data["recipient_ids"] == [viewer]
    assert events[1].data["assignee_ids"] == [admin]
    assert events[1].data["actor_id"] == str(cast.member.user.id)
    assert set(
        Assignment.objects.filter(task_id=task_id).values_list("user__username", flat=True)
    ) == {
        "vera",
        "mila",
    }


def test_an_edit_publishes_one_updated_event_naming_the_changed_fields(
    cast: Any, published_events: Any
) -> None:
    task_id = _create(cast.member, cast.room, title="Quiet").json()["id"]
    _patch(cast.member, task_id, title="Renamed", description="x", priority="high")
    [updated] = published_events("tasks.task.updated")
    assert updated.data["changed"] == ["title", "priority"]
    assert updated.data["title"] == "Renamed"
    assert updated.data["priority"] == "high"
    assert updated.data["actor_id"] == str(cast.member.user.id)
    assert TaskChange.objects.filter(task_id=task_id, field="title").exists()


def test_a_description_edit_publishes_no_event_but_writes_history(
    cast: Any, published_events: Any
) -> None:
    task_id = _create(cast.member, cast.room, title="Quiet").json()["id"]
    before = len(published_events())
    _patch(cast.member, task_id, description="only the description")
    assert len(published_events()) == before
    assert TaskChange.objects.filter(task_id=task_id, field="description").exists()


# ---------------------------------------------------------------------------------------------
# Delete, history


def test_deleting_a_task_takes_its_subtasks_with_one_event_each(
    cast: Any, published_events: Any
) -> None:
    parent_id = _create(cast.member, cast.room, title="Parent").json()["id"]
    child = Task.objects.create(room=cast.room, parent_id=parent_id, title="Child")
    assert cast.member.delete(f"/api/tasks/tasks/{parent_id}/").status_code == 204
    assert not Task.objects.filter(id__in=[parent_id, child.id]).exists()
    deleted = published_events("tasks.task.deleted")
    assert {e.data["task_id"] for e in deleted} == {parent_id, str(child.id)}
    assert {e.data["actor_id"] for e in deleted} == {str(cast.member.user.id)}
    assert cast.member.get(f"/api/tasks/tasks/{parent_id}/").status_code == 404


def test_the_history_lists_every_change_newest_first(cast: Any) -> None:
    task_id = _create(cast.member, cast.room, title="H").json()["id"]
    _patch(cast.member, task_id, title="H2")
    _patch(cast.admin, task_id, status="completed")
    response = cast.viewer.get(f"/api/tasks/tasks/{task_id}/history/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["field"] for r in rows] == ["status", "title", "created"]
    assert rows[0]["actor"] == {"id": str(cast.admin.user.id), "username": "adam"}
    assert (rows[0]["before"], rows[0]["after"]) == ("pending", "completed")
    assert rows[1]["before"] == "H" and rows[1]["after"] == "H2"
    assert rows[0]["at"]


def test_the_history_is_paginated_with_bounded_queries(
    cast: Any, django_assert_max_num_queries: Any, warm: Any
) -> None:
    task_id = _create(cast.member, cast.room, title="0").json()["id"]
    for n in range(1, 8):
        _patch(cast.member, task_id, title=str(n))
    warm()
    with django_assert_max_num_queries(4):
        page = cast.viewer.get(f"/api/tasks/tasks/{task_id}/history/?page_size=3").json()
    assert len(page["results"]) == 3 and page["next"]
    rest = cast.viewer.get(page["next"]).json()
    assert len(rest["results"]) == 3


# ---------------------------------------------------------------------------------------------
# Messages people read


def test_the_not_found_message_is_translated(cast: Any) -> None:
    # The kit picks the language per request: the token's `lang`, else Accept-Language.
    missing = "01a23c05-b689-7176-828b-ba7f2a7bb78f"
    for language, start in (("ru", "Нет задачи"), ("uk", "Немає задачі")):
        response = cast.member.get(f"/api/tasks/tasks/{missing}/", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 404
        assert response.json()["code"] == "task_not_found"
        assert response.json()["message"].startswith(start), response.json()


@pytest.mark.parametrize(
    ("language", "start"), [("en", "Give a date"), ("ru", "Укажите дату"), ("uk", "Вкажіть дату")]
)
def test_the_bad_deadline_message_is_translated(cast: Any, language: str, start: str) -> None:
    cast.member.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = _create(cast.member, cast.room, title="T", due="soon")
    assert response.status_code == 400
    assert response.json()["fields"]["due"][0]["code"] == "invalid_due"
    assert response.json()["fields"]["due"][0]["message"].startswith(start)


def test_status_and_priority_names_are_the_api_values() -> None:
    assert Status.values == ["pending", "in_progress", "completed"]
    assert [label for _v, label in Priority.choices] == ["none", "low", "medium", "high", "urgent"]


def test_the_catalogues_are_complete_and_compiled() -> None:
    from pathlib import Path

    from cotask_common.testing.translations import catalogue_problems

    assert catalogue_problems(Path(__file__).resolve().parents[2] / "locale") == []
