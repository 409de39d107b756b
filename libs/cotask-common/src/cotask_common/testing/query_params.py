"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it.

Each service's suite keeps only its own list of bad URLs and calls `assert_query_rejected`
with a client allowed to read them, so a 400 cannot come from a missing permission.
"""

from __future__ import annotations

from typing import Any


def assert_query_rejected(client: Any, url: str, parameter: str) -> None:
    """GET `url` and assert a 400 whose `fields` names `parameter`."""
    response = client.get(url)
    assert response.status_code == 400, response.content
    assert parameter in response.json()["fields"]
