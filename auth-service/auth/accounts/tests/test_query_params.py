"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it."""

from __future__ import annotations

from typing import Any

import pytest

from cotask_common.testing.query_params import bad_query_test

test_a_bad_query_parameter_is_a_400_naming_it = bad_query_test(
    [
        ("/api/auth/users/?page_size=null", "page_size"),
        ("/api/auth/users/?cursor=nope", "cursor"),
        ("/api/auth/users/?banned=null", "banned"),
        ("/api/auth/sessions/?page_size=0", "page_size"),
    ],
    client="signed_in",
    role="moderator",
)


@pytest.mark.django_db
def test_an_absent_boolean_filter_filters_nothing(signed_in: Any, make_account: Any) -> None:
    # DRF reads a missing boolean of a query string as False; the kit's QueryBooleanField not.
    from auth.accounts.models import User

    ada = make_account("ada")
    User.objects.filter(id=ada.id).update(is_banned=True)
    body = signed_in(role="moderator").get("/api/auth/users/").json()
    assert "ada" in {row["username"] for row in body["results"]}
