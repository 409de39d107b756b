"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.testing.query_params import bad_query_test

test_a_bad_query_parameter_is_a_400_naming_it = bad_query_test(
    [
        ("/api/social/pages/?page_size=null", "page_size"),
        ("/api/social/me/likes/?page_size=101", "page_size"),
        ("/api/social/me/following/?cursor=nope", "cursor"),
        ("/api/social/reports/?status=closed", "status"),
        ("/api/social/moderation/actions/?target_id=null", "target_id"),
        ("/api/social/feed/?page_size=null", "page_size"),
        (f"/api/social/posts/{uuid.uuid4()}/comments/?parent=null", "parent"),
    ],
    role="moderator",
)


@pytest.mark.django_db
def test_good_query_parameters_still_answer(client_for: Any) -> None:
    client = client_for(role="moderator")
    assert client.get("/api/social/reports/?status=resolved").status_code == 200
    assert client.get("/api/social/pages/?page_size=100").status_code == 200
