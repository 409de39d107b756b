"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it.

Each service's suite keeps only its own list of bad URLs:

    test_a_bad_query_parameter_is_a_400_naming_it = bad_query_test(
        [("/api/x/?page_size=null", "page_size")], role="moderator"
    )
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest


def assert_query_rejected(client: Any, url: str, parameter: str) -> None:
    """GET `url` and assert a 400 whose `fields` names `parameter`."""
    response = client.get(url)
    assert response.status_code == 400, response.content
    assert parameter in response.json()["fields"]


def bad_query_test(
    cases: Sequence[tuple[str, str]], *, client: str = "client_for", **client_options: Any
) -> Callable[..., None]:
    """A test run once per (url, parameter) of `cases`. The client comes from the suite's
    fixture named `client`, called with `client_options`: one allowed to read every URL, so
    that a 400 cannot come from a missing permission."""

    @pytest.mark.django_db
    @pytest.mark.parametrize(("url", "parameter"), cases)
    def test(request: pytest.FixtureRequest, url: str, parameter: str) -> None:
        signed_in = request.getfixturevalue(client)(**client_options)
        assert_query_rejected(signed_in, url, parameter)

    return test
