"""Who reads a learning request: the hand-written statement (social.mentors.hot_sql.request_for)
and its ORM twin (`visible_requests_q`) let the same readers read the same requests, with the
same fields and author."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from cotask_common.errors import NotFound
from social.mentors import hot_sql, selectors
from social.mentors.tests.test_learning_requests import ban, post_request
from social.mentors.tests.test_profiles import set_up

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the hand-written SQL is PostgreSQL's"
    ),
]


def read(request_id: str, viewer: Any, hot: bool) -> Any:
    hot_sql.ENABLED = hot
    try:
        found = selectors.request_for(request_id=request_id, viewer=viewer)
    except NotFound:
        return None
    finally:
        hot_sql.ENABLED = True
    return model_to_dict(found), model_to_dict(found.author)


def test_the_hand_written_check_equals_the_orm_twin(member: Any, client_for: Any) -> None:
    bob, cat, ada, eve, fay, gus = (member(n) for n in ("bob", "cat", "ada", "eve", "fay", "gus"))
    set_up(ada, subjects=["python"])  # teaches the subject
    set_up(eve, subjects=["english"])  # teaches another one
    set_up(gus, subjects=["english"])  # will offer on the private request
    assert cat.post("/api/social/pages/bob/follow/").status_code in (200, 201)
    ids = [
        post_request(bob, visibility=visibility).json()["id"]
        for visibility in ("private", "followers", "public")
    ]
    ids.append(post_request(bob, subject="english", visibility="private").json()["id"])
    assert gus.post(
        f"/api/social/learning-requests/{ids[3]}/offers/", {"message": "I can"}, format="json"
    ).status_code in (201, 409)
    bob.post("/api/social/pages/bob/blocks/", {"user_id": str(fay.user.id)}, format="json")
    staff = client_for(role="moderator")
    readers = [None, *(c.user for c in (bob, cat, ada, eve, fay, gus, staff))]

    def table() -> list[Any]:
        rows = []
        for rid in ids:
            for reader in readers:
                hot = read(rid, reader, True)
                assert hot == read(rid, reader, False), (rid, reader)
                rows.append(hot is not None)
        return rows

    seen = table()
    assert any(seen) and not all(seen)
    ban(bob)  # a banned author's requests: only for the author and staff
    assert sum(table()) < sum(seen)
    assert read("not-a-uuid", None, True) is None
