"""The messages of subtasks, dependencies, recurrence, comments and attachments in en/ru/uk,
with codes that never change. The kit picks the language per request (token claim,
Accept-Language); here the active language stands in for it."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.planning.tests.teamkit import make_team

pytestmark = pytest.mark.django_db

CASES = {
    "recurrence": {
        "en": "FREQ must be one of",
        "ru": "FREQ должно быть одним из",
        "uk": "FREQ має бути одним із",
    },
    "cycle": {
        "en": "This would make a cycle",
        "ru": "Получился бы цикл",
        "uk": "Утворився б цикл",
    },
    "depth": {
        "en": "Subtasks are one level deep",
        "ru": "Подзадачи — только один уровень",
        "uk": "Підзадачі — лише один рівень",
    },
    "comment": {"en": "No comment with this id", "ru": "Нет комментария", "uk": "Немає коментаря"},
    "body": {"en": "A comment needs text", "ru": "В комментарии нужен текст", "uk": "Коментар"},
    "file": {"en": "This file does not exist", "ru": "Этого файла нет", "uk": "Цього файлу немає"},
    "author": {
        "en": "Only the comment's author",
        "ru": "Редактировать комментарий может только",
        "uk": "Редагувати коментар може лише",
    },
}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_messages_come_in_the_request_language(
    make_user: Any, client_for: Any, language: str, case: str
) -> None:
    team = make_team(make_user, client_for)
    client = team.clients["member"]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language  # the kit answers in it
    _check(team, client, language, case)


def _check(team: Any, client: Any, language: str, case: str) -> None:
    a, b = team.task("A"), team.task("B")
    if case == "recurrence":
        response = client.post(
            f"/api/tasks/rooms/{team.room.id}/tasks/",
            {"title": "x", "recurrence": "FREQ=HOURLY"},
            format="json",
        )
        field, code = "recurrence", "unsupported_recurrence"
    elif case == "cycle":
        client.post(f"/api/tasks/tasks/{a.id}/blocked-by/{b.id}/")
        response = client.post(f"/api/tasks/tasks/{b.id}/blocked-by/{a.id}/")
        field, code = "blocked_by_ids", "dependency_cycle"
    elif case == "depth":
        child = team.task("C", parent=a)
        response = client.patch(
            f"/api/tasks/tasks/{b.id}/", {"parent_id": str(child.id)}, format="json"
        )
        field, code = "parent_id", "subtask_depth"
    elif case == "comment":
        response = client.delete("/api/tasks/comments/0193a2c4-7d1e-7c3a-9f00-5b6a1e2d3c4f/")
        field, code = "", "comment_not_found"
    elif case == "body":
        response = client.post(f"/api/tasks/tasks/{a.id}/comments/", {"body": " "}, format="json")
        field, code = "body", "required"
    elif case == "file":
        response = client.post(
            f"/api/tasks/tasks/{a.id}/attachments/",
            {"file_id": "0193a2c4-7d1e-7c3a-9f00-5b6a1e2d3c4f"},
            format="json",
        )
        field, code = "file_id", "media_not_found"
    else:
        from tasks.comments.models import Comment

        comment = Comment.objects.create(task=a, author=team.users["admin"], body="x")
        response = client.patch(f"/api/tasks/comments/{comment.id}/", {"body": "y"}, format="json")
        field, code = "", "not_comment_author"
    body = response.json()
    if field:
        error = body["fields"][field][0]
        assert error["code"] == code
        assert error["message"].startswith(CASES[case][language]), error["message"]
    else:
        assert body["code"] == code
        assert body["message"].startswith(CASES[case][language]), body["message"]
