"""Comments on tasks: who may read, write, edit and delete; mentions; the events."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.comments.models import Comment
from tasks.planning.models import Assignment
from tasks.planning.tests.teamkit import EVERYONE, WRITERS, expected, make_team

pytestmark = pytest.mark.django_db


def _url(task: Any) -> str:
    return f"/api/tasks/tasks/{task.id}/comments/"


def _comment(team: Any, task: Any, who: str = "member", body: str = "Looks good") -> Comment:
    return Comment.objects.create(task=task, author=team.users[who], body=body)


@pytest.mark.parametrize("who", EVERYONE)
def test_who_reads_comments(make_user: Any, client_for: Any, who: str) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    _comment(team, task)
    response = team.clients[who].get(_url(task))
    allowed = ("owner", "admin", "member", "viewer")
    assert response.status_code == expected(who, allowed=allowed, ok=200)
    if who in allowed:
        assert [c["body"] for c in response.json()["results"]] == ["Looks good"]


@pytest.mark.parametrize("who", EVERYONE)
def test_who_writes_comments(make_user: Any, client_for: Any, who: str) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    response = team.clients[who].post(_url(task), {"body": "On it"}, format="json")
    assert response.status_code == expected(who, allowed=WRITERS, ok=201)
    assert Comment.objects.filter(task=task).exists() == (who in WRITERS)
    if who in WRITERS:
        body = response.json()
        assert body["author"]["id"] == str(team.users[who].id) and body["body"] == "On it"


def test_a_missing_task_and_another_rooms_task_are_the_same_404(
    make_user: Any, client_for: Any
) -> None:
    team = make_team(make_user, client_for)
    other = make_team(make_user, client_for)
    theirs = other.task()
    client = team.clients["member"]
    foreign = client.get(_url(theirs)).json()
    missing = client.get("/api/tasks/tasks/0193a2c4-7d1e-7c3a-9f00-5b6a1e2d3c4f/comments/").json()
    assert foreign["code"] == missing["code"] == "task_not_found"
    assert foreign["message"] == missing["message"]


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_a_bad_body_is_refused_naming_body(make_user: Any, client_for: Any, body: str) -> None:
    team = make_team(make_user, client_for)
    response = team.clients["member"].post(_url(team.task()), {"body": body}, format="json")
    assert response.status_code == 400 and "body" in response.json()["fields"]


@pytest.mark.parametrize("who", EVERYONE)
def test_only_the_author_edits(make_user: Any, client_for: Any, who: str) -> None:
    team = make_team(make_user, client_for)
    comment = _comment(team, team.task(), who="member")
    response = team.clients[who].patch(
        f"/api/tasks/comments/{comment.id}/", {"body": "Edited"}, format="json"
    )
    comment.refresh_from_db()
    if who == "member":
        assert response.status_code == 200 and response.json()["edited_at"]
        assert comment.body == "Edited"
    else:
        assert response.status_code == expected(who, allowed=(), ok=200)
        if who in ("owner", "admin"):
            assert response.json()["code"] == "not_comment_author"
        if who == "stranger":
            assert response.json()["code"] == "comment_not_found"
        assert comment.body == "Looks good"


@pytest.mark.parametrize("who", EVERYONE)
def test_the_author_or_an_admin_deletes(make_user: Any, client_for: Any, who: str) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    author = make_user()
    team.room.memberships.create(user=author, role="member")
    comment = Comment.objects.create(task=task, author=author, body="Mine")
    response = team.clients[who].delete(f"/api/tasks/comments/{comment.id}/")
    allowed = ("owner", "admin")
    assert response.status_code == expected(who, allowed=allowed, ok=204)
    comment.refresh_from_db()
    assert (comment.deleted_at is not None) == (who in allowed)
    author_client = client_for(author)
    comment = Comment.objects.create(task=task, author=author, body="Mine too")
    assert author_client.delete(f"/api/tasks/comments/{comment.id}/").status_code == 204
    listed = team.clients["owner"].get(_url(task)).json()["results"]
    assert [c["body"] for c in listed] == ([] if who in allowed else ["Mine"])
    comment.refresh_from_db()
    assert comment.body == ""


def test_a_viewer_who_wrote_before_cannot_edit_any_more(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    comment = _comment(team, team.task(), who="viewer")
    response = team.clients["viewer"].patch(
        f"/api/tasks/comments/{comment.id}/", {"body": "x"}, format="json"
    )
    assert response.status_code == 403


def test_mentions_and_comments_tell_the_right_people(
    make_user: Any, client_for: Any, published_events: Any
) -> None:
    team = make_team(make_user, client_for)
    outsider = make_user(username="outsider")
    task = team.task("Ship it")  # creator: the owner
    Assignment.objects.create(task=task, user=team.users["admin"])
    Assignment.objects.create(task=task, user=team.users["member"])  # the author
    viewer = team.users["viewer"].username
    text = f"@{viewer.upper()} and @{outsider.username} and @{team.users['member'].username}, see"
    response = team.clients["member"].post(_url(task), {"body": text}, format="json")
    assert response.status_code == 201, response.json()
    # Only room members become mentions (the outsider is left as text); never the author.
    assert sorted(m["username"] for m in response.json()["mentions"]) == sorted(
        [viewer, team.users["member"].username]
    )
    mentioned = published_events("tasks.task.mentioned")
    assert len(mentioned) == 1
    assert mentioned[0].data["recipient_ids"] == [str(team.users["viewer"].id)]
    assert mentioned[0].data["excerpt"] == text[:200]
    commented = published_events("tasks.task.commented")
    assert len(commented) == 1
    assert sorted(commented[0].data["recipient_ids"]) == sorted(
        [str(team.users["owner"].id), str(team.users["admin"].id)]
    )
    assert commented[0].data["author_id"] == str(team.users["member"].id)
    # An edit tells only the newly mentioned; no second `commented`.
    comment_id = response.json()["id"]
    text2 = f"{text} @{team.users['admin'].username}"
    response = team.clients["member"].patch(
        f"/api/tasks/comments/{comment_id}/", {"body": text2}, format="json"
    )
    assert response.status_code == 200
    mentioned = published_events("tasks.task.mentioned")
    assert len(mentioned) == 2
    assert mentioned[1].data["recipient_ids"] == [str(team.users["admin"].id)]
    assert len(published_events("tasks.task.commented")) == 1


def test_a_creator_who_left_is_not_told(
    make_user: Any, client_for: Any, published_events: Any
) -> None:
    team = make_team(make_user, client_for)
    task = team.task("x", creator=team.users["admin"])
    team.room.memberships.filter(user=team.users["admin"]).delete()
    team.clients["member"].post(_url(task), {"body": "hi"}, format="json")
    assert published_events("tasks.task.commented")[0].data["recipient_ids"] == []


def test_the_comments_list_has_a_bounded_query_count(
    make_user: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    for index in range(15):
        comment = _comment(team, task, who=("member", "admin", "owner")[index % 3], body=str(index))
        comment.mentioned.add(team.users["viewer"], team.users["admin"])
    with django_assert_max_num_queries(8):
        response = team.clients["viewer"].get(_url(task))
    assert len(response.json()["results"]) == 15
    assert all(len(c["mentions"]) == 2 for c in response.json()["results"])


def test_a_deleted_accounts_comment_stays_without_author(make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    Comment.objects.create(task=task, author=None, body="ghost")
    response = team.clients["viewer"].get(_url(task))
    assert response.json()["results"][0]["author"] is None
