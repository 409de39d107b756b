"""Query parameters are checked like bodies: a wrong type or value is a 400 naming it."""

from __future__ import annotations

from cotask_common.testing.query_params import bad_query_test

test_a_bad_query_parameter_is_a_400_naming_it = bad_query_test(
    [
        ("/api/tasks/rooms/?page_size=null", "page_size"),
        ("/api/tasks/my-tasks/?page_size=0", "page_size"),
        ("/api/tasks/my-tasks/?cursor=nope", "cursor"),
        ("/api/tasks/reminders/?page_size=abc", "page_size"),
        ("/api/tasks/agenda/suggestions/?page_size=null", "page_size"),
    ]
)
