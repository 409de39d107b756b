"""`auth.user.deleted`: nothing in social names or quotes the person afterwards, and everyone
else's counters are as if they had unliked, uncommented and unfollowed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from cotask_common.events.models import OutboxEvent
from cotask_common.events.testing import handle_event, make_event
from social.feed.models import FeedState, TimelineEntry
from social.moderation.models import Report
from social.pages.models import Follow, Page, PageBlock
from social.posts.models import Comment, CommentLike, Post, PostLike

pytestmark = pytest.mark.django_db

API = "/api/social"


def _text_columns() -> list[tuple[str, str]]:
    """Every text, char and JSON column of every table social owns (Django's models)."""
    from django.apps import apps
    from django.db import models

    columns = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.local_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                columns.append((model._meta.db_table, field.column))
    return columns


def _mentions(values: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) wherever a value appears (case-insensitive) in a text column."""
    found = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            for value in values:
                q = connection.ops.quote_name
                cast = f"CAST({q(column)} AS TEXT)"
                cursor.execute(
                    f"SELECT COUNT(*) FROM {q(table)} WHERE UPPER({cast}) LIKE UPPER(%s)",  # noqa: S608
                    [f"%{value}%"],
                )
                if cursor.fetchone()[0]:
                    found.append((table, column, value))
    return found


def _delete(user_id: Any) -> bool:
    return handle_event(make_event(type="auth.user.deleted", key=str(user_id), data={}))


@pytest.fixture
def eager_celery() -> Any:
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def test_a_deleted_account_leaves_no_trace_and_others_counts_are_right(
    member: Any,
    page_of: Any,
    published_events: Any,
    eager_celery: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ada, zed, cy = member("ada"), member("zedthegone"), member("cy")
    page_of(zed, "zedclub")  # a second page of the person
    # ada's page: a post zed likes and comments on (and replies to), cy does the same.
    post = ada.post(f"{API}/pages/ada/posts/", {"text": "hello"}, format="json").json()
    for someone in (zed, cy):
        assert someone.post(f"{API}/posts/{post['id']}/like/").status_code in (200, 201)
        someone.post(f"{API}/pages/ada/follow/")
    zed_comment = zed.post(
        f"{API}/posts/{post['id']}/comments/", {"text": "zed was here"}, format="json"
    ).json()
    cy_reply = cy.post(
        f"{API}/posts/{post['id']}/comments/",
        {"text": "answering", "parent_id": zed_comment["id"]},
        format="json",
    ).json()
    cy_comment = cy.post(
        f"{API}/posts/{post['id']}/comments/", {"text": "mine"}, format="json"
    ).json()
    zed.post(f"{API}/comments/{cy_comment['id']}/like/")
    cy.post(f"{API}/comments/{zed_comment['id']}/like/")
    zed.post(f"{API}/posts/{post['id']}/replies/", {"text": "my reply post"}, format="json")
    # A comment zed deleted earlier keeps its text for moderation until now.
    gone = zed.post(f"{API}/posts/{post['id']}/comments/", {"text": "oops"}, format="json").json()
    assert zed.delete(f"{API}/comments/{gone['id']}/").status_code == 204
    # zed's pages: cy follows one and comments on it; ada blocks zed; zed reports ada's post.
    zed_post = zed.post(f"{API}/pages/zedthegone/posts/", {"text": "z"}, format="json").json()
    cy.post(f"{API}/pages/zedthegone/follow/")
    cy.post(f"{API}/posts/{zed_post['id']}/comments/", {"text": "hi zed"}, format="json")
    page_of(ada, "adaclub", private=True)
    zed.post(f"{API}/pages/adaclub/follow/")  # a pending request
    page_of(ada, "adaother")
    blocked = {"user_id": str(zed.user.id)}
    assert ada.post(f"{API}/pages/adaother/blocks/", blocked, format="json").status_code == 201
    report = zed.post(
        f"{API}/reports/",
        {"target_type": "post", "target_id": post["id"], "reason": "zed thinks so"},
        format="json",
    )
    assert report.status_code == 201, report.json()
    zed.get(f"{API}/feed/")
    before = ada.get(f"{API}/pages/ada/stats/").json()
    assert (before["followers"], before["likes"], before["comments"]) == (2, 2, 3)
    assert before["comment_likes"] == 2

    # What the relay has published already (the page's creation, named) goes too.
    OutboxEvent.objects.update(published_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert _delete(zed.user.id) is True

    # ada's counters: as if zed had unliked, deleted the comments and unfollowed.
    stats = ada.get(f"{API}/pages/ada/stats/").json()
    assert (stats["followers"], stats["likes"], stats["comments"]) == (1, 1, 2)
    assert stats["comment_likes"] == 1
    fresh = Post.objects.get(id=post["id"])
    assert (fresh.like_count, fresh.comment_count, fresh.reply_count) == (1, 2, 0)
    assert Comment.objects.get(id=cy_comment["id"]).like_count == 0
    # cy's reply under zed's comment stays; zed's comment is a tombstone without text.
    tomb = Comment.objects.get(id=zed_comment["id"])
    assert tomb.text == "" and tomb.deleted_at is not None
    assert tomb.deleted_reason == "account_deleted"
    assert Comment.objects.get(id=cy_reply["id"]).text == "answering"
    assert Comment.objects.get(id=gone["id"]).text == ""
    comments = cy.get(f"{API}/posts/{post['id']}/comments/").json()["results"]
    assert [c["id"] for c in comments] == [cy_comment["id"]]
    # Nothing of zed's is left to find.
    assert not PostLike.objects.filter(user_id=zed.user.id).exists()
    assert not CommentLike.objects.filter(user_id=zed.user.id).exists()
    assert not Follow.objects.filter(user_id=zed.user.id).exists()
    assert not Page.objects.filter(owner_id=zed.user.id).exists()
    assert not Report.objects.filter(reporter_id=zed.user.id).exists()
    assert not FeedState.objects.filter(user_id=zed.user.id).exists()
    assert not TimelineEntry.objects.filter(user_id=zed.user.id).exists()
    assert not PageBlock.objects.filter(user_id=zed.user.id).exists()
    assert cy.get(f"{API}/pages/zedthegone/").status_code == 404
    # The page deletions are announced without the handle or name.
    deleted = published_events("social.page.deleted")
    assert {e.data["handle"] for e in deleted} == {""} and len(deleted) == 2
    assert {e.data["name"] for e in deleted} == {""}
    assert _mentions(["zedthegone", "Zedthegone", "zed was here", "zed thinks so"]) == []

    # A second delivery (another event id) changes nothing.
    assert _delete(zed.user.id) is True
    again = ada.get(f"{API}/pages/ada/stats/").json()
    assert (again["followers"], again["likes"], again["comments"]) == (1, 1, 2)
    assert Post.objects.get(id=post["id"]).like_count == 1


def test_blocks_of_the_person_go_with_the_account(member: Any) -> None:
    ada, zed = member("ada"), member("zed")
    ada.post(f"{API}/pages/ada/blocks/", {"user_id": str(zed.user.id)}, format="json")
    assert PageBlock.objects.filter(user_id=zed.user.id).exists()
    _delete(zed.user.id)
    assert not PageBlock.objects.filter(user_id=zed.user.id).exists()
    assert Page.objects.filter(owner_id=ada.user.id).exists()
