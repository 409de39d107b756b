"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it."""

from __future__ import annotations

from typing import Any

import pytest

from cotask_common.testing.query_params import assert_query_rejected

BAD_QUERIES = [
    ("/api/tasks/rooms/?page_size=null", "page_size"),
    ("/api/tasks/my-tasks/?page_size=0", "page_size"),
    ("/api/tasks/my-tasks/?cursor=nope", "cursor"),
    ("/api/tasks/reminders/?page_size=abc", "page_size"),
    ("/api/tasks/agenda/suggestions/?page_size=null", "page_size"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "parameter"), BAD_QUERIES)
def test_a_bad_query_parameter_is_a_400_naming_it(
    client_for: Any, url: str, parameter: str
) -> None:
    assert_query_rejected(client_for(), url, parameter)
