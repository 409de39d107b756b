"""Django admin: comments read-only, removed by an action (text emptied, as the API does); the
media projection read-only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tasks.comments.models import Comment
from tasks.mediafiles.models import MediaFile
from tasks.planning.tests.teamkit import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def test_comments_in_admin(staff: Any, make_user: Any, client_for: Any) -> None:
    team = make_team(make_user, client_for)
    comment = Comment.objects.create(
        task=team.task(), author=team.users["member"], body="Spam here"
    )
    comment.mentioned.add(team.users["viewer"])
    listing = staff.get("/admin/tasks/comments/comment/?q=Spam")
    assert listing.status_code == 200 and b"Spam here" in listing.content
    page = staff.get(f"/admin/tasks/comments/comment/{comment.id}/change/")
    assert page.status_code == 200
    assert staff.get("/admin/tasks/comments/comment/add/").status_code == 403
    response = staff.post(
        "/admin/tasks/comments/comment/",
        {"action": "remove_comments", "_selected_action": [str(comment.id)]},
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "" and comment.deleted_at is not None
    assert not comment.mentioned.exists()


def test_the_media_projection_is_read_only_in_admin(staff: Any) -> None:
    media = MediaFile.objects.create(
        id=uuid.uuid4(), owner_id=uuid.uuid4(), purpose="task_attachment", status="ready"
    )
    assert staff.get("/admin/tasks/mediafiles/mediafile/").status_code == 200
    page = staff.get(f"/admin/tasks/mediafiles/mediafile/{media.id}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
