"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it."""

from __future__ import annotations

from cotask_common.testing.query_params import bad_query_test

test_a_bad_query_parameter_is_a_400_naming_it = bad_query_test(
    [
        ("/api/habits/habits/?page_size=null", "page_size"),
        ("/api/habits/habits/?archived=null", "archived"),
        ("/api/habits/cards/decks/?cursor=nope", "cursor"),
        ("/api/habits/cards/reviews/?page_size=1000", "page_size"),
    ]
)
