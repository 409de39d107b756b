"""Schemathesis hooks of the contract fuzzing (e2e/schemathesis.toml, e2e/test_contract_fuzzing.py).

`positive_data_acceptance_by_meaning` stands in for Schemathesis' `positive_data_acceptance`
(switched off in the config): a request the document calls valid must not be refused, except for
what its values *mean*, which no schema can say. Such a refusal is a 400 in the one error shape
(`cotask_common.errors`), and it is told from a refusal of the shape by its code:

- an error code of a rule (`invalid_password`, `token_invalid`, `not_a_group`, ...), not one of
  DRF's field codes (`required`, `max_length`, `invalid`, ...) that a document can describe;
- or every field it names is a reference the fuzzer cannot know a valid value of: a `cursor` the
  server made, a `token` from an email, an IANA time zone name, an `..._id` of something that
  may not exist, or any field whose value in the request is an id (a UUID: `parent`, `deck`).

A 429 or a 413 that the operation documents is a limit doing its job (a rate, a purpose's
largest file), not a refusal of the data.
Anything else outside the expected statuses fails as before.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

# DRF's own validation codes: refusals of a value's shape, which a document states (type,
# length, range, choices, pattern, required).
SHAPE_CODES = frozenset(
    {
        "blank",
        "date",
        "datetime",
        "does_not_exist",
        "empty",
        "incorrect_type",
        "invalid",
        "invalid_choice",
        "make_aware",
        "max_decimal_places",
        "max_digits",
        "max_length",
        "max_string_length",
        "max_value",
        "max_whole_digits",
        "min_length",
        "min_value",
        "not_a_dict",
        "not_a_list",
        "null",
        "overflow",
        "parse_error",
        "required",
    }
)
# Values the server looks up: a cursor it made, a token it mailed, an IANA time zone name.
REFERENCE_FIELDS = frozenset({"cursor", "token", "time_zone", "tz"})


def _is_reference(field: str) -> bool:
    return field in REFERENCE_FIELDS or field.endswith(("_id", "_ids"))


def _sent_an_id(case: Any, field: str) -> bool:
    """Whether the request gave `field` (top-level, body or query) an id (a UUID)."""
    for given in (getattr(case, "body", None), getattr(case, "query", None)):
        if isinstance(given, dict) and isinstance(given.get(field), str):
            try:
                uuid.UUID(given[field])
            except ValueError:
                continue
            return True
    return False


def refused_for_meaning(body: Any, case: Any = None) -> bool:
    """Whether an error answer refuses what the values mean rather than their shape."""
    if not isinstance(body, dict):
        return False
    fields = body.get("fields") or {}
    # With fields named, the answer's own code is the generic `invalid` of a serializer's error:
    # the fields' codes tell.
    codes = ({body.get("code")} if not fields else set()) | {
        problem.get("code")
        for problems in fields.values()
        if isinstance(problems, list)
        for problem in problems
        if isinstance(problem, dict)
    }
    if not codes & SHAPE_CODES:
        return True
    return bool(fields) and all(
        _is_reference(field) or _sent_an_id(case, field) for field in fields
    )


@schemathesis.check
def positive_data_acceptance_by_meaning(ctx: Any, response: Any, case: Any) -> bool | None:
    """Valid data is accepted, unless refused for its meaning (see the module's doc)."""
    documented = {str(code) for code in case.operation.definition.raw.get("responses", {})}
    # A documented limit doing its job: too many requests (429), a file larger than its
    # purpose allows (413: the size a client declares is a value the schema cannot bound).
    if response.status_code in (413, 429) and str(response.status_code) in documented:
        return None
    if response.status_code == 400:
        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            body = None
        if refused_for_meaning(body, case):
            return None
    return positive_data_acceptance(ctx, response, case)
