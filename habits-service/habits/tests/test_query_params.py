"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it."""

from __future__ import annotations

from typing import Any

import pytest

from cotask_common.testing.query_params import assert_query_rejected

BAD_QUERIES = [
    ("/api/habits/habits/?page_size=null", "page_size"),
    ("/api/habits/habits/?archived=null", "archived"),
    ("/api/habits/cards/decks/?cursor=nope", "cursor"),
    ("/api/habits/cards/reviews/?page_size=1000", "page_size"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "parameter"), BAD_QUERIES)
def test_a_bad_query_parameter_is_a_400_naming_it(
    client_for: Any, url: str, parameter: str
) -> None:
    assert_query_rejected(client_for(), url, parameter)
