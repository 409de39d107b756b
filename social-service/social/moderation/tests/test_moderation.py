from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from social.moderation.models import ModerationAction
from social.moderation.services import end_expired_blocks
from social.pages.models import Page
from social.posts.models import Comment

pytestmark = pytest.mark.django_db

API = "/api/social"


def _post(client: Any, handle: str, text: str = "hi") -> str:
    return client.post(f"{API}/pages/{handle}/posts/", {"text": text}, format="json").json()["id"]


def test_moderators_see_private_pages(member: Any, page_of: Any) -> None:
    ada, mod, user = member("ada"), member("mod", role="moderator"), member("user")
    page_of(ada, "secret", private=True)
    assert mod.get(f"{API}/pages/secret/posts/").status_code == 200
    assert mod.get(f"{API}/pages/secret/followers/").status_code == 200
    assert user.get(f"{API}/pages/secret/posts/").status_code == 403


def test_block_page_for_a_duration_and_it_ends(member: Any, published_events: Any) -> None:
    ada, mod, user = member("ada"), member("mod", role="moderator"), member("user")
    url = f"{API}/moderation/pages/ada/block/"
    assert user.post(url, {"reason": "x", "duration_hours": 1}, format="json").status_code == 403
    r = mod.post(url, {"reason": "", "duration_hours": 1}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["fields"]
    r = mod.post(url, {"reason": "spam", "duration_hours": 24 * 31}, format="json")
    assert r.status_code == 400 and "at most 30 days" in r.json()["message"]
    assert mod.post(url, {"reason": "spam", "permanent": True}, format="json").status_code == 403
    r = mod.post(url, {"reason": "spam", "duration_hours": 24 * 7}, format="json")
    assert r.status_code == 200 and r.json()["is_blocked"] is True
    assert user.get(f"{API}/pages/ada/").status_code == 404
    assert ada.get(f"{API}/pages/ada/").status_code == 200  # the owner still sees it
    assert ada.post(f"{API}/pages/ada/posts/", {"text": "x"}, format="json").status_code == 403
    [event] = published_events("social.moderation.page_blocked")
    assert event.data["recipient_ids"] == [str(ada.user.id)] and event.data["reason"] == "spam"
    # the block ends by itself (Celery beat runs end_expired_blocks)
    assert end_expired_blocks(now=timezone.now() + timedelta(days=8)) == 1
    assert user.get(f"{API}/pages/ada/").status_code == 200
    assert published_events("social.moderation.page_unblocked")[0].data["recipient_ids"] == [
        str(ada.user.id)
    ]


def test_admin_blocks_permanently(member: Any) -> None:
    member("ada")
    admin, mod = member("root", role="admin"), member("mod", role="moderator")
    r = admin.post(
        f"{API}/moderation/pages/ada/block/", {"reason": "fraud", "permanent": True}, format="json"
    )
    assert r.status_code == 200
    assert end_expired_blocks(now=timezone.now() + timedelta(days=3650)) == 0
    assert Page.objects.get(handle_key="ada").is_blocked
    assert (
        mod.delete(
            f"{API}/moderation/pages/ada/block/", {"reason": "no"}, format="json"
        ).status_code
        == 403
    )
    assert (
        admin.delete(
            f"{API}/moderation/pages/ada/block/", {"reason": "appeal"}, format="json"
        ).status_code
        == 200
    )


def test_delete_any_post_or_comment_with_reason(member: Any, published_events: Any) -> None:
    ada, bob, mod = member("ada"), member("bob"), member("mod", role="moderator")
    post = _post(ada, "ada")
    comment = bob.post(f"{API}/posts/{post}/comments/", {"text": "rude"}, format="json").json()[
        "id"
    ]
    assert (
        bob.post(
            f"{API}/moderation/comments/{comment}/delete/", {"reason": "x"}, format="json"
        ).status_code
        == 403
    )
    assert (
        mod.post(
            f"{API}/moderation/comments/{comment}/delete/", {"reason": ""}, format="json"
        ).status_code
        == 400
    )
    assert (
        mod.post(
            f"{API}/moderation/comments/{comment}/delete/", {"reason": "rude"}, format="json"
        ).status_code
        == 204
    )
    assert (
        mod.post(
            f"{API}/moderation/posts/{post}/delete/", {"reason": "off-topic"}, format="json"
        ).status_code
        == 204
    )
    assert bob.get(f"{API}/posts/{post}/").status_code == 404
    events = published_events("social.moderation.")
    assert [e.type for e in events] == [
        "social.moderation.comment_removed",
        "social.moderation.post_removed",
    ]
    assert events[0].data["recipient_ids"] == [str(bob.user.id)]
    assert events[1].data["recipient_ids"] == [str(ada.user.id)]
    record = mod.get(f"{API}/moderation/actions/?target_id={post}").json()["results"]
    assert record[0]["reason"] == "off-topic" and record[0]["actor_id"] == str(mod.user.id)
    assert bob.get(f"{API}/moderation/actions/").status_code == 403


def test_unblocking_a_page_that_is_not_blocked_records_and_tells_nothing(
    member: Any, published_events: Any
) -> None:
    member("ada")
    mod = member("mod", role="moderator")
    r = mod.delete(f"{API}/moderation/pages/ada/block/", {"reason": "why not"}, format="json")
    assert r.status_code == 200 and r.json()["is_blocked"] is False
    assert not ModerationAction.objects.exists()
    assert published_events("social.moderation.") == []


def test_a_second_moderation_delete_records_and_tells_nothing(
    member: Any, published_events: Any
) -> None:
    """Two moderators acting on the same post or comment at once: the second finds it deleted
    (the API's lookup ran before the first committed)."""
    from social.moderation.services import delete_comment, delete_post
    from social.posts.models import Comment, Post

    ada, bob, mod = member("ada"), member("bob"), member("mod", role="moderator")
    post_id = _post(ada, "ada")
    comment_id = bob.post(
        f"{API}/posts/{post_id}/comments/", {"text": "rude"}, format="json"
    ).json()["id"]
    comment = Comment.objects.get(id=comment_id)
    post = Post.objects.select_related("page").get(id=post_id)
    for _ in range(2):
        delete_comment(comment=comment, actor=mod.user, reason="rude")
        delete_post(post=post, actor=mod.user, reason="spam")
    assert ModerationAction.objects.filter(action="delete_comment").count() == 1
    assert ModerationAction.objects.filter(action="delete_post").count() == 1
    assert [e.type for e in published_events("social.moderation.")] == [
        "social.moderation.comment_removed",
        "social.moderation.post_removed",
    ]


def test_reports_queue_and_resolution(member: Any, published_events: Any) -> None:
    ada, bob, mod = member("ada"), member("bob"), member("mod", role="moderator")
    post = _post(ada, "ada")
    r = bob.post(
        f"{API}/reports/",
        {"target_type": "post", "target_id": post, "reason": "spam"},
        format="json",
    )
    assert r.status_code == 201
    assert (
        bob.post(
            f"{API}/reports/",
            {"target_type": "post", "target_id": post, "reason": "spam"},
            format="json",
        ).status_code
        == 409
    )
    page_report = bob.post(
        f"{API}/reports/",
        {"target_type": "page", "target_id": str(ada.page.id), "reason": "bad"},
        format="json",
    ).json()
    assert bob.get(f"{API}/reports/").status_code == 403
    queue = mod.get(f"{API}/reports/").json()["results"]
    assert len(queue) == 2
    resolved = mod.post(
        f"{API}/reports/{r.json()['id']}/resolve/",
        {"resolution": "removed", "action": "delete"},
        format="json",
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert bob.get(f"{API}/posts/{post}/").status_code == 404
    blocked = mod.post(
        f"{API}/reports/{page_report['id']}/resolve/",
        {"resolution": "a week", "action": "block_page", "duration_hours": 168},
        format="json",
    )
    assert blocked.status_code == 200
    assert Page.objects.get(id=ada.page.id).is_blocked
    assert (
        mod.post(
            f"{API}/reports/{page_report['id']}/resolve/", {"resolution": "again"}, format="json"
        ).status_code
        == 409
    )
    assert mod.get(f"{API}/reports/").json()["results"] == []
    assert ModerationAction.objects.filter(action="resolve_report").count() == 2


@pytest.mark.parametrize("size", [5, 50])
def test_queue_query_count_is_flat(
    member: Any, make_user: Any, django_assert_max_num_queries: Any, size: int
) -> None:
    from social.moderation.services import report

    ada, mod = member("ada"), member("mod", role="moderator")
    post = _post(ada, "ada")
    for _ in range(55):
        report(reporter=make_user(), target_type="post", target_id=post, reason="spam")
    with django_assert_max_num_queries(3):
        assert len(mod.get(f"{API}/reports/?page_size={size}").json()["results"]) == size
    with django_assert_max_num_queries(3):
        mod.get(f"{API}/moderation/actions/?page_size={size}")


def _report(client: Any, kind: str, target: Any) -> tuple[int, dict[str, Any]]:
    r = client.post(
        f"{API}/reports/",
        {"target_type": kind, "target_id": str(target), "reason": "spam"},
        format="json",
    )
    body = r.json()
    body.pop("request_id", None)
    return r.status_code, body


@pytest.mark.parametrize("hidden_by", ["private", "owner_blocked_me", "moderation", "deleted"])
def test_reporting_what_one_cannot_see_answers_as_for_what_does_not_exist(
    member: Any, page_of: Any, hidden_by: str
) -> None:
    import uuid

    ada, bob = member("ada"), member("bob")
    page = page_of(ada, "club")
    post = _post(ada, "club")
    comment = ada.post(f"{API}/posts/{post}/comments/", {"text": "c"}, format="json").json()["id"]
    missing = {kind: _report(bob, kind, uuid.uuid4()) for kind in ("post", "comment", "page")}
    assert missing["post"][0] == 404 and missing["post"][1]["code"] == "not_found"
    if hidden_by == "private":
        Page.objects.filter(id=page.id).update(is_private=True)
    elif hidden_by == "owner_blocked_me":
        r = ada.post(f"{API}/pages/club/blocks/", {"user_id": str(bob.user.id)}, format="json")
        assert r.status_code in (200, 201)
    elif hidden_by == "moderation":
        Page.objects.filter(id=page.id).update(is_blocked=True)
    else:
        assert ada.delete(f"{API}/posts/{post}/").status_code == 204
    assert _report(bob, "post", post) == missing["post"]
    assert _report(bob, "comment", comment) == missing["comment"]
    if hidden_by in ("owner_blocked_me", "moderation"):
        assert _report(bob, "page", page.id) == missing["page"]
    else:  # a private page's profile is visible, and may be reported
        assert _report(bob, "page", page.id)[0] == 201
    # Moderators see everything and the owner their own: both may still report.
    mod = member("mod", role="moderator")
    if hidden_by != "deleted":
        assert _report(mod, "post", post)[0] == 201
        assert _report(ada, "comment", comment)[0] == 201


@pytest.mark.parametrize(
    ("actor_role", "owner_role", "allowed"),
    [
        ("moderator", "admin", False),
        ("moderator", "moderator", False),
        ("admin", "admin", False),
        ("admin", "moderator", True),
        ("moderator", "user", True),
    ],
)
def test_the_rank_rule_of_moderation(
    member: Any, published_events: Any, actor_role: str, owner_role: str, allowed: bool
) -> None:
    """auth-service's rule for bans, applied to content: one moderates only what belongs to
    accounts of a lower role (pages, posts, comments; directly or by resolving a report)."""
    owner = member("owner", role=owner_role)
    actor, reporter = member("actor", role=actor_role), member("reporter")
    post = _post(owner, "owner")
    comment = owner.post(f"{API}/posts/{post}/comments/", {"text": "c"}, format="json").json()["id"]

    def reported(kind: str, target: str) -> str:
        body = {"target_type": kind, "target_id": target, "reason": "look"}
        return reporter.post(f"{API}/reports/", body, format="json").json()["id"]

    reports = {kind: reported(kind, t) for kind, t in [("post", post), ("comment", comment)]}
    page_report = reported("page", str(owner.page.id))
    attempts = [
        actor.post(
            f"{API}/moderation/pages/owner/block/",
            {"reason": "x", "duration_hours": 1},
            format="json",
        ),
        actor.post(
            f"{API}/reports/{page_report}/resolve/",
            {"resolution": "x", "action": "block_page", "duration_hours": 1},
            format="json",
        ),
        *(
            actor.post(
                f"{API}/reports/{reports[kind]}/resolve/",
                {"resolution": "x", "action": "delete"},
                format="json",
            )
            for kind in ("comment", "post")
        ),
        actor.post(f"{API}/moderation/posts/{post}/delete/", {"reason": "x"}, format="json"),
        actor.post(f"{API}/moderation/comments/{comment}/delete/", {"reason": "x"}, format="json"),
    ]
    if allowed:
        assert [r.status_code for r in attempts[:4]] == [200] * 4
        return
    for response in attempts:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "role_too_high"
    assert not Page.objects.get(id=owner.page.id).is_blocked
    assert owner.get(f"{API}/posts/{post}/").status_code == 200
    assert Comment.objects.get(id=comment).deleted_at is None
    assert not published_events("social.moderation.page_blocked")
    assert not ModerationAction.objects.exclude(action="dismiss_report").exists()
    # The reports stay open; dismissing one changes nothing of the content and is allowed.
    r = actor.post(f"{API}/reports/{page_report}/resolve/", {"resolution": "ok"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
