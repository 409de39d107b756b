"""Attachments: media files of purpose `task_attachment` the caller owns, referenced to media
with the room's audience."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.events.consumer import handle_event
from cotask_common.events.testing import make_event
from tasks.mediafiles.models import MediaFile
from tasks.planning.models import Attachment, TaskChange
from tasks.planning.tests.teamkit import EVERYONE, WRITERS, expected, make_team

pytestmark = pytest.mark.django_db


def _file(owner: Any, *, purpose: str = "task_attachment", status: str = "ready") -> MediaFile:
    return MediaFile.objects.create(
        id=uuid.uuid4(), owner_id=owner.id, purpose=purpose, status=status
    )


def _url(task: Any, file_id: Any = None) -> str:
    base = f"/api/tasks/tasks/{task.id}/attachments/"
    return f"{base}{file_id}/" if file_id else base


@pytest.mark.parametrize("who", EVERYONE)
def test_who_attaches(make_user: Any, client_for: Any, published_events: Any, who: str) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    media = _file(team.users[who]) if who != "anonymous" else _file(team.users["member"])
    response = team.clients[who].post(_url(task), {"file_id": str(media.id)}, format="json")
    assert response.status_code == expected(who, allowed=WRITERS, ok=201)
    assert Attachment.objects.filter(task=task).exists() == (who in WRITERS)
    events = published_events("tasks.media.attached")
    if who in WRITERS:
        assert response.json()["file_id"] == str(media.id)
        assert [e.data for e in events] == [
            {
                "object_type": "task",
                "object_id": str(task.id),
                "file_ids": [str(media.id)],
                "audience": f"room:{team.room.id}",
            }
        ]
        again = team.clients[who].post(_url(task), {"file_id": str(media.id)}, format="json")
        assert again.status_code == 200 and len(published_events("tasks.media.attached")) == 1
    else:
        assert events == []


@pytest.mark.parametrize("who", EVERYONE)
def test_who_detaches_and_reads(
    make_user: Any, client_for: Any, published_events: Any, who: str
) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    media = _file(team.users["member"])
    Attachment.objects.create(task=task, file_id=media.id, added_by=team.users["member"])
    listed = team.clients[who].get(_url(task))
    readers = ("owner", "admin", "member", "viewer")
    assert listed.status_code == expected(who, allowed=readers, ok=200)
    if who in readers:
        assert [a["file_id"] for a in listed.json()["results"]] == [str(media.id)]
    response = team.clients[who].delete(_url(task, media.id))
    assert response.status_code == expected(who, allowed=WRITERS, ok=204)
    assert Attachment.objects.filter(task=task).exists() == (who not in WRITERS)
    detached = published_events("tasks.media.detached")
    if who in WRITERS:
        assert [e.data["file_ids"] for e in detached] == [[str(media.id)]]
        assert TaskChange.objects.filter(task=task, field="attachments").exists()
    else:
        assert detached == []


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("someone_elses", "media_not_found"),
        ("unknown", "media_not_found"),
        ("not_ready", "media_not_ready"),
        ("wrong_purpose", "media_wrong_purpose"),
        ("malformed", "invalid"),
    ],
)
def test_only_my_ready_task_attachment_files(
    make_user: Any, client_for: Any, case: str, code: str
) -> None:
    team = make_team(make_user, client_for)
    me = team.users["member"]
    file_id = {
        "someone_elses": lambda: _file(team.users["admin"]).id,
        "unknown": uuid.uuid4,
        "not_ready": lambda: _file(me, status="processing").id,
        "wrong_purpose": lambda: _file(me, purpose="post_image").id,
        "malformed": lambda: "nope",
    }[case]()
    response = team.clients["member"].post(
        _url(team.task()), {"file_id": str(file_id)}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["file_id"][0]["code"] == code


def test_deleting_a_task_detaches_its_files(
    make_user: Any, client_for: Any, published_events: Any
) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    sub = team.task("Sub", parent=task)
    for target in (task, sub):
        media = _file(team.users["member"])
        team.clients["member"].post(_url(target), {"file_id": str(media.id)}, format="json")
    assert team.clients["member"].delete(f"/api/tasks/tasks/{task.id}/").status_code == 204
    detached = published_events("tasks.media.detached")
    assert sorted(e.data["object_id"] for e in detached) == sorted([str(task.id), str(sub.id)])
    assert all("file_ids" not in e.data for e in detached)


def test_the_media_projection_follows_media_events() -> None:
    file_id, owner = str(uuid.uuid4()), str(uuid.uuid4())
    data = {"id": file_id, "owner_id": owner, "purpose": "task_attachment", "status": "processing"}
    assert handle_event(make_event(type="media.file.uploaded", key=file_id, data=data))
    assert MediaFile.objects.get(id=file_id).status == "processing"
    event = make_event(type="media.file.ready", key=file_id, data={**data, "status": "ready"})
    assert handle_event(event)
    assert not handle_event(event)  # redelivered: skipped
    assert MediaFile.objects.get(id=file_id).status == "ready"
    assert handle_event(make_event(type="media.file.deleted", key=file_id, data=data))
    assert not MediaFile.objects.filter(id=file_id).exists()


def test_the_attachments_list_has_a_bounded_query_count(
    make_user: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    team = make_team(make_user, client_for)
    task = team.task()
    for index in range(12):
        who = ("member", "admin", "owner")[index % 3]
        Attachment.objects.create(task=task, file_id=uuid.uuid4(), added_by=team.users[who])
    with django_assert_max_num_queries(6):
        response = team.clients["viewer"].get(_url(task))
    assert len(response.json()["results"]) == 12
    assert all(a["added_by"]["username"] for a in response.json()["results"])
