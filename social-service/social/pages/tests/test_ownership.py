"""Who owns a page or a comment is decided by the selectors and services, not the views: a
caller that bypasses the API (admin, a task, another service function) meets the same rule."""

from __future__ import annotations

from typing import Any

import pytest

from cotask_common.errors import Forbidden, NotFound
from social.pages import selectors, services
from social.posts import services as post_services

API = "/api/social"


def test_owned_page_is_the_owner_s_alone(member: Any, make_user: Any) -> None:
    ada, bob = member("ada"), member("bob")
    mod, admin = member("mod", role="moderator"), member("root", role="admin")
    assert selectors.owned_page(ref="ada", viewer=ada.user).id == ada.page.id
    for outsider in (bob, mod, admin):
        with pytest.raises(Forbidden) as caught:
            selectors.owned_page(ref="ada", viewer=outsider.user)
        assert caught.value.code == "not_page_owner"
    with pytest.raises(Forbidden):
        selectors.owned_page(ref="ada", viewer=None)  # anonymous
    # A caller the owner blocked does not learn the page exists.
    services.block_user(page=ada.page, actor_id=ada.user.id, user_id=bob.user.id)
    with pytest.raises(NotFound):
        selectors.owned_page(ref="ada", viewer=bob.user)
    with pytest.raises(NotFound):
        selectors.owned_page(ref="nobody-here", viewer=ada.user)


def test_the_page_services_refuse_a_non_owner_whoever_calls_them(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    mod = member("mod", role="moderator")
    page, other = ada.page, bob.user.id
    calls = (
        (services.update_page, {"changes": {"name": "X"}}),
        (services.remove_follower, {"user_id": other}),
        (services.approve_requests, {"all": True}),
        (services.reject_requests, {"all": True}),
        (services.block_user, {"user_id": other}),
        (services.unblock_user, {"user_id": other}),
    )
    for outsider in (bob, mod):
        for call, kwargs in calls:
            with pytest.raises(Forbidden) as caught:
                call(page=page, actor_id=outsider.user.id, **kwargs)
            assert caught.value.code == "not_page_owner"


def test_only_the_author_deletes_a_comment_and_the_service_says_so(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    mod = member("mod", role="moderator")
    post = post_services.create_post(page=ada.page, actor_id=ada.user.id, text="hello")
    comment = post_services.create_comment(post=post, author_id=bob.user.id, text="hi")
    for outsider in (ada, mod):  # the page's owner and a moderator outside moderation
        with pytest.raises(Forbidden) as caught:
            post_services.delete_comment(comment=comment, actor_id=outsider.user.id)
        assert caught.value.code == "not_author"
        assert "use moderation" in str(caught.value.message)
        response = outsider.delete(f"{API}/comments/{comment.id}/")
        assert response.status_code == 403 and response.json()["code"] == "not_author"
    assert bob.delete(f"{API}/comments/{comment.id}/").status_code == 204
