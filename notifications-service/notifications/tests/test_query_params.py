"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it."""

from __future__ import annotations

from typing import Any

import pytest

from cotask_common.testing.query_params import bad_query_test

test_a_bad_query_parameter_is_a_400_naming_it = bad_query_test(
    [
        ("/api/notifications/?unread=null", "unread"),
        ("/api/notifications/?page_size=null", "page_size"),
        ("/api/notifications/?type=nothing", "type"),
        ("/api/notifications/preferences/pages/?cursor=nope", "cursor"),
    ]
)


@pytest.mark.django_db
def test_unread_true_and_false_still_filter(client_for: Any) -> None:
    client = client_for()
    assert client.get("/api/notifications/?unread=true").status_code == 200
    assert client.get("/api/notifications/?unread=false").status_code == 200
    assert client.get("/api/notifications/").status_code == 200
