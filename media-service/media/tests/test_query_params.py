"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/media/files/?page_size=null", "page_size"),
        ("/api/media/files/?cursor=nope", "cursor"),
        ("/api/media/files/?status=lost", "status"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(
    client_for: Any, url: str, parameter: str
) -> None:
    response = client_for().get(url)
    assert response.status_code == 400, response.content
    assert parameter in response.json()["fields"]
