"""Moderation from Django admin: the changelist actions ask for a reason (and a duration for
blocks), act through the moderation services (the record, the events and the counters as through
the API), and only staff linked to a CoTask moderator or admin can reach them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cotask_common.events.testing import handle_event, make_event
from cotask_common.users.models import UserRef
from social.moderation.models import ModerationAction, Report
from social.pages.models import Page
from social.posts.models import Comment, Post

pytestmark = pytest.mark.django_db

API = "/api/social"
PAGES = reverse("admin:social_pages_page_changelist")
POSTS = reverse("admin:social_posts_post_changelist")
COMMENTS = reverse("admin:social_posts_comment_changelist")
REPORTS = reverse("admin:social_moderation_report_changelist")
PASSWORD = "A-long-admin-pass-42"


@pytest.fixture
def staff(make_user: Any) -> Callable[..., Client]:
    """`staff(username, role="moderator")`: a logged-in Django staff account named like a CoTask
    account of that role (`role=None`: no CoTask account at all)."""

    def factory(username: str, *, role: str | None = "moderator", **fields: Any) -> Client:
        if role is not None:
            make_user(username=username, role=role, **fields)
        account = User.objects.create_user(username=username, password=PASSWORD, is_staff=True)
        client = Client()
        client.force_login(account)
        return client

    return factory


def _act(
    client: Client, url: str, action: str, rows: list[Any], *, follow: bool = False, **form: Any
) -> Any:
    """Choose the action on the changelist; with `form`, submit the action's form too."""
    data: dict[str, Any] = {"action": action, "_selected_action": [str(r.pk) for r in rows]}
    if form:
        data |= {"apply": "yes", **form}
    else:
        data["index"] = "0"
    return client.post(url, data, follow=follow)


def _messages(response: Any) -> list[str]:
    """The messages shown on the changelist a redirect led to (`follow=True`)."""
    return [str(m) for m in response.context["messages"]]


def _actions(client: Client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["action_form"]
    return {name for name, _label in form.fields["action"].choices} if form else set()


def _post(client: Any, handle: str, text: str = "hello") -> str:
    return client.post(f"{API}/pages/{handle}/posts/", {"text": text}, format="json").json()["id"]


def test_a_moderator_blocks_and_unblocks_a_page(
    member: Any, staff: Any, published_events: Any
) -> None:
    ada = member("ada")
    mod = staff("mod")
    page = Page.objects.get(id=ada.page.id)
    assert {"block_pages", "unblock_pages"} <= _actions(mod, PAGES)

    form = _act(mod, PAGES, "block_pages", [page])
    assert form.status_code == 200 and form.templates[0].name.endswith("action_form.html")
    assert b"Block the selected pages" in form.content and b"@ada" in form.content

    response = _act(
        mod, PAGES, "block_pages", [page], reason="spam", duration_hours=168, follow=True
    )
    assert _messages(response) == ["Blocked 1 page(s)."]
    page.refresh_from_db()
    assert page.is_blocked and not page.blocked_permanently and page.block_reason == "spam"
    assert abs(page.blocked_until - (timezone.now() + timedelta(hours=168))) < timedelta(minutes=1)
    mod_ref = UserRef.objects.get(username="mod")
    record = ModerationAction.objects.get(action="block_page", target_id=page.id)
    assert (record.actor_id, record.actor_role, record.reason) == (mod_ref.id, "moderator", "spam")
    [event] = published_events("social.moderation.page_blocked")
    assert event.data["moderator_id"] == str(mod_ref.id)
    assert event.data["recipient_ids"] == [str(ada.user.id)]
    assert member("someone").get(f"{API}/pages/ada/").status_code == 404  # hidden, as via API

    response = _act(mod, PAGES, "unblock_pages", [page], reason="appeal accepted", follow=True)
    assert _messages(response) == ["Lifted the block of 1 page(s)."]
    page.refresh_from_db()
    assert not page.is_blocked and page.blocked_until is None
    [event] = published_events("social.moderation.page_unblocked")
    assert event.data["reason"] == "appeal accepted"
    # A page moderation did not block is left out: its owner is not told of a block.
    response = _act(mod, PAGES, "unblock_pages", [page], follow=True)
    assert _messages(response) == ["@ada: not blocked by moderation"]
    assert len(published_events("social.moderation.page_unblocked")) == 1
    assert ModerationAction.objects.filter(action="unblock_page").count() == 1


def test_the_reason_is_required(member: Any, staff: Any, published_events: Any) -> None:
    ada, mod = member("ada"), staff("mod")
    page = Page.objects.get(id=ada.page.id)
    for reason in ("", "   "):
        response = _act(mod, PAGES, "block_pages", [page], reason=reason, duration_hours=24)
        assert response.status_code == 200  # the form again, saying what to fix
        assert response.context["form"].errors["reason"] == [
            "A reason is required: the author is told it."
        ]
        assert b"A reason is required" in response.content
    post = Post.objects.get(id=_post(ada, "ada"))
    response = _act(mod, POSTS, "delete_posts", [post], reason="")
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    page.refresh_from_db()
    post.refresh_from_db()
    assert not page.is_blocked and post.deleted_at is None
    assert not ModerationAction.objects.exists()
    assert published_events("social.moderation.") == []


def test_only_an_admin_blocks_permanently(member: Any, staff: Any, published_events: Any) -> None:
    ada = member("ada")
    mod, root = staff("mod"), staff("root", role="admin")
    page = Page.objects.get(id=ada.page.id)

    response = _act(mod, PAGES, "block_pages", [page], reason="fraud", permanent="on")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Only an admin may block a page permanently."
    ]
    response = _act(mod, PAGES, "block_pages", [page], reason="fraud", duration_hours=31 * 24)
    assert response.status_code == 200
    [message] = response.context["form"].errors["duration_hours"]
    assert "at most 30 days (720 hours)" in message
    page.refresh_from_db()
    assert not page.is_blocked and published_events("social.moderation.") == []

    response = _act(root, PAGES, "block_pages", [page], reason="fraud", permanent="on")
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.is_blocked and page.blocked_permanently and page.blocked_until is None
    [event] = published_events("social.moderation.page_blocked")
    assert event.data["permanent"] is True and event.data["until"] is None
    assert ModerationAction.objects.get(action="block_page").actor_role == "admin"

    # Lifting it is an admin's call too; the moderator is told so and nothing changes.
    response = _act(mod, PAGES, "unblock_pages", [page], reason="appeal")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Only an admin may lift a permanent block."
    ]
    page.refresh_from_db()
    assert page.is_blocked


def test_deleting_posts_and_comments_keeps_counters_and_announces(
    member: Any, staff: Any, published_events: Any
) -> None:
    ada, bob, mod = member("ada"), member("bob"), staff("mod")
    post_id, other_id = _post(ada, "ada"), _post(ada, "ada", "keep")
    comment_id = bob.post(f"{API}/posts/{other_id}/comments/", {"text": "rude"}, format="json")
    comment_id = comment_id.json()["id"]
    assert {"delete_posts"} <= _actions(mod, POSTS)
    assert {"delete_comments"} <= _actions(mod, COMMENTS)

    response = _act(mod, POSTS, "delete_posts", [Post(pk=post_id)], reason="spam", follow=True)
    assert _messages(response) == ["Deleted 1 post(s)."]
    assert Post.objects.get(id=post_id).deleted_reason == "spam"
    assert ada.get(f"{API}/posts/{post_id}/").status_code == 404
    response = _act(
        mod, COMMENTS, "delete_comments", [Comment(pk=comment_id)], reason="rude", follow=True
    )
    assert _messages(response) == ["Deleted 1 comment(s)."]

    page, other = Page.objects.get(id=ada.page.id), Post.objects.get(id=other_id)
    assert (page.posts_count, page.comments_count, other.comment_count) == (1, 0, 0)
    assert sorted(
        ModerationAction.objects.values_list("action", "target_id", "actor_role", "reason")
    ) == [
        ("delete_comment", uuid.UUID(comment_id), "moderator", "rude"),
        ("delete_post", uuid.UUID(post_id), "moderator", "spam"),
    ]
    [removed] = published_events("social.moderation.post_removed")
    assert removed.data["recipient_ids"] == [str(ada.user.id)]
    [removed] = published_events("social.moderation.comment_removed")
    assert removed.data["recipient_ids"] == [str(bob.user.id)]
    assert published_events("social.post.deleted")[0].data["by_moderator"] is True
    assert published_events("social.comment.deleted")[0].data["by_moderator"] is True

    # Deleting again is left out rather than recorded and announced twice.
    response = _act(mod, POSTS, "delete_posts", [Post(pk=post_id)], reason="spam", follow=True)
    assert [m.split(": ")[-1] for m in _messages(response)] == ["already deleted"]
    assert ModerationAction.objects.count() == 2
    assert len(published_events("social.moderation.post_removed")) == 1


def test_resolving_reports(member: Any, staff: Any, published_events: Any) -> None:
    ada, bob, carol, mod = member("ada"), member("bob"), member("carol"), staff("mod")
    post_id = _post(ada, "ada")
    comment_id = bob.post(f"{API}/posts/{post_id}/comments/", {"text": "rude"}, format="json")
    comment_id = comment_id.json()["id"]

    def report(target_type: str, target_id: str, by: Any = carol) -> Report:
        body = {"target_type": target_type, "target_id": target_id, "reason": "look"}
        return Report.objects.get(id=by.post(f"{API}/reports/", body, format="json").json()["id"])

    on_comment, on_post = report("comment", comment_id), report("post", post_id)
    on_page = report("page", str(ada.page.id), by=bob)
    assert "resolve_reports" in _actions(mod, REPORTS)

    form = _act(mod, REPORTS, "resolve_reports", [on_comment])
    assert form.status_code == 200 and b"Resolution" in form.content
    response = _act(mod, REPORTS, "resolve_reports", [on_comment], reason="rude", outcome="delete")
    assert response.status_code == 302
    on_comment.refresh_from_db()
    assert (on_comment.status, on_comment.resolution) == ("resolved", "rude")
    assert Comment.objects.get(id=comment_id).deleted_at is not None
    [told] = published_events("social.moderation.report_resolved")
    assert told.data["recipient_ids"] == [str(carol.user.id)] and told.data["outcome"] == "delete"
    assert published_events("social.moderation.comment_removed")

    # A block needs its duration: the form says so and the report stays open.
    response = _act(mod, REPORTS, "resolve_reports", [on_page], reason="x", outcome="block_page")
    assert response.status_code == 200
    assert "duration_hours" in response.context["form"].errors
    on_page.refresh_from_db()
    assert on_page.status == "open"
    response = _act(
        mod,
        REPORTS,
        "resolve_reports",
        [on_page],
        reason="a week off",
        outcome="block_page",
        duration_hours=168,
    )
    assert response.status_code == 302
    assert Page.objects.get(id=ada.page.id).is_blocked

    response = _act(mod, REPORTS, "resolve_reports", [on_post], reason="fine", outcome="none")
    assert response.status_code == 302
    on_post.refresh_from_db()
    assert on_post.status == "dismissed"
    assert sorted(ModerationAction.objects.values_list("action", flat=True)) == [
        "block_page",
        "delete_comment",
        "dismiss_report",
        "resolve_report",
        "resolve_report",
    ]
    # Closed reports are left out.
    _act(mod, REPORTS, "resolve_reports", [on_post], reason="again", outcome="none")
    assert ModerationAction.objects.count() == 5


def test_who_reaches_the_admin_and_who_moderates(
    member: Any, staff: Any, make_user: Any, published_events: Any
) -> None:
    page = Page.objects.get(id=member("ada").page.id)
    # Not signed in, or a Django account without staff status: the login page.
    assert Client().get(PAGES).status_code == 302
    plain = User.objects.create_user(username="plain", password=PASSWORD)
    make_user(username="plain", role="moderator")  # even when named like a moderator
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "plain", "password": PASSWORD})
    assert response.status_code == 200 and response.context["form"].errors  # refused
    client.force_login(plain)
    assert client.get(PAGES).status_code == 302

    # Staff whose CoTask account is a plain user, is banned, or who has none: nothing to see.
    for outsider in (
        staff("usr", role="user"),
        staff("banned", is_banned=True),
        staff("nobody", role=None),
    ):
        assert outsider.get(PAGES).status_code == 403
        assert outsider.get(REPORTS).status_code == 403
        response = _act(outsider, PAGES, "block_pages", [page], reason="x", duration_hours=1)
        assert response.status_code == 403

    # A superuser (the operator) browses, but acts only through a linked moderator account.
    root = Client()
    root.force_login(User.objects.create_superuser("operator", password=PASSWORD))
    assert root.get(PAGES).status_code == 200 and "block_pages" not in _actions(root, PAGES)
    response = _act(root, PAGES, "block_pages", [page], reason="x", duration_hours=1)
    assert response.status_code == 200  # no actions at all: the plain changelist
    page.refresh_from_db()
    assert not page.is_blocked and published_events("social.moderation.") == []

    # A moderator signs in with the Django password and loses access once demoted in auth.
    make_user(username="mod", role="moderator", id=(mod_id := uuid.uuid4()))
    User.objects.create_user(username="mod", password=PASSWORD, is_staff=True)
    mod = Client()
    response = mod.post(
        f"{reverse('admin:login')}?next={PAGES}", {"username": "mod", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert mod.get(PAGES).status_code == 200 and "block_pages" in _actions(mod, PAGES)
    handle_event(
        make_event(
            type="auth.user.role_changed",
            key=str(mod_id),
            data={"username": "mod", "role": "user", "previous_role": "moderator"},
        )
    )
    assert mod.get(PAGES).status_code == 403
    assert _act(mod, PAGES, "block_pages", [page], reason="x", duration_hours=1).status_code == 403
    page.refresh_from_db()
    assert not page.is_blocked


def test_one_action_takes_several_rows_up_to_a_limit(
    member: Any, staff: Any, monkeypatch: Any, published_events: Any
) -> None:
    mod = staff("mod")
    pages = [Page.objects.get(id=member(f"user{i}").page.id) for i in range(3)]
    response = _act(mod, PAGES, "block_pages", pages, reason="spam", duration_hours=1, follow=True)
    assert _messages(response) == ["Blocked 3 page(s)."]
    assert len(published_events("social.moderation.page_blocked")) == 3
    # "Select all" lists every row of the changelist on the form.
    select_all = {"action": "unblock_pages", "select_across": "1", "index": "0"}
    response = mod.post(PAGES, {**select_all, "_selected_action": [str(pages[0].pk)]})
    assert response.status_code == 200
    assert all(f"@{p.handle}".encode() in response.content for p in pages)
    # Beyond the limit nothing is asked and nothing changes.
    monkeypatch.setattr("social.moderation.admin_actions.MAX_ROWS", 2)
    response = _act(mod, PAGES, "unblock_pages", pages, reason="sorry", follow=True)
    assert _messages(response) == [
        "Select at most 2 rows for one moderation action; nothing was changed."
    ]
    assert Page.objects.filter(is_blocked=True).count() == 3


def test_a_report_on_content_gone_with_its_page_can_only_be_dismissed(
    member: Any, page_of: Any, staff: Any
) -> None:
    ada, carol, mod = member("ada"), member("carol"), staff("mod")
    page_of(ada, "club")
    post_id = _post(ada, "club")
    body = {"target_type": "post", "target_id": post_id, "reason": "look"}
    report = Report.objects.get(id=carol.post(f"{API}/reports/", body, format="json").json()["id"])
    assert ada.delete(f"{API}/pages/club/").status_code == 204  # its posts go with it

    response = _act(mod, REPORTS, "resolve_reports", [report], reason="gone", outcome="delete")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["What this refers to no longer exists."]
    response = _act(mod, REPORTS, "resolve_reports", [report], reason="gone", outcome="none")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "dismissed"


def test_a_moderator_cannot_act_on_an_admins_content_from_the_admin(
    member: Any, staff: Any, published_events: Any
) -> None:
    """The rank rule holds in Django admin too: the form shows why and nothing changes."""
    boss, carol, mod = member("boss", role="admin"), member("carol"), staff("mod")
    post_id = _post(boss, "boss")
    comment_id = boss.post(f"{API}/posts/{post_id}/comments/", {"text": "c"}, format="json")
    comment_id = comment_id.json()["id"]
    body = {"target_type": "post", "target_id": post_id, "reason": "look"}
    on_post = Report.objects.get(id=carol.post(f"{API}/reports/", body, format="json").json()["id"])
    page, post = Page.objects.get(id=boss.page.id), Post.objects.get(id=post_id)
    comment = Comment.objects.get(id=comment_id)
    tries = [
        (PAGES, "block_pages", page, {"reason": "x", "duration_hours": 1}),
        (POSTS, "delete_posts", post, {"reason": "x"}),
        (COMMENTS, "delete_comments", comment, {"reason": "x"}),
        (REPORTS, "resolve_reports", on_post, {"reason": "x", "outcome": "delete"}),
        (
            REPORTS,
            "resolve_reports",
            on_post,
            {"reason": "x", "outcome": "block_page", "duration_hours": 1},
        ),
    ]
    for url, action, row, form in tries:
        response = _act(mod, url, action, [row], **form)
        assert response.status_code == 200, (action, response.status_code)  # back on the form
        errors = [str(e) for e in response.context["form"].non_field_errors()]
        assert any("lower role" in e for e in errors), (action, errors)
    page.refresh_from_db()
    post.refresh_from_db()
    comment.refresh_from_db()
    on_post.refresh_from_db()
    assert not page.is_blocked and post.deleted_at is None and comment.deleted_at is None
    assert on_post.status == "open"
    assert not ModerationAction.objects.exists()
    assert [e.type for e in published_events("social.moderation.")] == [
        "social.moderation.reported"
    ]
