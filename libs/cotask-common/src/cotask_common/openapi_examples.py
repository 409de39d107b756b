"""Request and response examples for every operation of a service's OpenAPI document.

`add_examples` (called by `cotask_common.openapi.postprocess`) gives every request body media type
and every response with content an `examples` entry, unless the view declared its own
(`extend_schema(examples=[OpenApiExample(...)])`, which drf-spectacular puts there first; a
field's own `example` is used inside a generated one). Generated examples are built from the
document's own schema ($refs followed), with readable values chosen by format and field name, and
they are valid against that schema (`cotask_common.testing.openapi.example_problems` checks it):

- requests leave out `readOnly` fields and carry the required ones (a body with none required
  carries its first field), so the server accepts them as they are: Schemathesis' examples phase
  sends them (ids that do not exist may answer 404);
- responses leave out `writeOnly` fields and show every other one; a cursor page links its
  `next` and `previous` pages;
- errors are the one `Error` shape and say what that operation answers: a 400 names its first
  required body field (else its first query parameter), a 403 is `user_banned` where the
  operation writes, a 429 carries `retry_after`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from cotask_common.pagination import EXAMPLE_NEXT, EXAMPLE_PREVIOUS

# Values by format, then by field name; readable and valid.
_NAMESPACE = uuid.UUID("6f1c2b52-8a53-4c0e-9a44-3c1a4f1f0c7e")
_MOMENT = "2026-12-05T09:30:00Z"
_DAY = "2026-12-05"
_SERVER = "https://cotask.example"
_BY_FORMAT: dict[str, str] = {
    "date-time": _MOMENT,
    "date": _DAY,
    "time": "09:30:00",
    "email": "ada@example.com",
    "uri": f"{_SERVER}/files/ada.png",
    "url": f"{_SERVER}/files/ada.png",
    "ipv4": "203.0.113.7",
    "ip": "203.0.113.7",
    "binary": "Notes of the kickoff: goals, owners, dates.",
}
_BY_NAME: dict[str, str] = {
    "username": "ada",
    "login": "ada",
    "handle": "ada_lovelace",
    "display_name": "Ada Lovelace",
    "name": "Ada Lovelace",
    "page_name": "Ada Lovelace",
    "room_name": "Launch team",
    "title": "Write the launch plan",
    "subject": "Python",
    "goal": "Run a 10 km race in the spring",
    "text": "Finished the first draft today.",
    "body": "Finished the first draft today.",
    "bio": "Backend engineer; I teach Python and SQL.",
    "description": "Everything for the spring launch.",
    "requirements": "Weekly one-hour sessions, in the evening.",
    "reason": "Spam links in every post.",
    "answer": "Thank you for the kind words!",
    "note": "Bring the slides.",
    "password": "correct-horse-battery-staple",
    "current_password": "correct-horse-battery-staple",
    "new_password": "staple-battery-horse-correct",
    "time_zone": "Europe/Kyiv",
    "tz": "Europe/Kyiv",
    "language": "en",
    "currency": "EUR",
    "color": "#3B82F6",
    "colour": "#3B82F6",
    "emoji": "👍",
    "icon": "🏃",
    "unit": "km",
    "front": "What does HTTP 429 mean?",
    "back": "Too many requests: retry after Retry-After.",
    "question": "How many hours a week can you give?",
    "filename": "kickoff-notes.txt",
    "content_type": "text/plain",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
    "ip": "203.0.113.7",
    "token": "b1d0c3e5f7a94c2e8d6f",
    "refresh": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl",
    "access": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl",
    "ticket": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "join_code": "k7qx2m4pa",
    "request_id": "7c9e6679742540de944be07fc1f90ae7",
    "cursor": "cD0yMDI2LTEyLTA1KzA5JTNBMzAlM0EwMCUyQjAwJTNBMDA=",
    "up_to_cursor": "cD0yMDI2LTEyLTA1KzA5JTNBMzAlM0EwMCUyQjAwJTNBMDA=",
    "sha256": "a" * 64,
    "method": "PUT",
    "provider": "local",
    "service": "social",
    "code": "k7qx2m4pa",
    "tag": "python",
    "mention": "grace",
    "resolution": "Removed the post; the author was warned.",
    "my_role": "owner",
}
# A `name` by what it names (the schema it is a field of).
_NAME_BY_OWNER = (
    ("Room", "Launch team"),
    ("Habit", "Morning run"),
    ("Deck", "Spanish verbs"),
    ("Label", "Urgent"),
    ("Group", "Book club"),
    ("Conversation", "Book club"),
    ("Page", "Ada writes"),
)
# (Set apart: the message checker reads a literal under a "message" key as a text for people.)
_BY_NAME["message"] = "I can help: I have taught Python for six years."
_NUMBER_BY_NAME: dict[str, float] = {
    "rating": 5,
    "minutes": 30,
    "minutes_before": 30,
    "estimate_minutes": 45,
    "minutes_per_day": 30,
    "size": 2048,
    "year": 2026,
    "width": 1280,
    "height": 720,
    "expires_in": 900,
    "retry_after": 42,
    "streak": 7,
    "best": 21,
    "duration_hours": 24,
    "day_start_hour": 4,
}
# Answers that are not JSON: a file's beginning, a page.
_BY_MEDIA_TYPE: dict[str, str] = {
    "text/csv": "front,back,tags\nWhat does HTTP 429 mean?,Too many requests,http\n",
    "application/octet-stream": "PK\u0003\u0004 (a zip archive's bytes)",
    "text/html": (
        '<!doctype html><html lang="en"><title>Unsubscribed</title>'
        "<p>You will get no more of these emails.</p></html>"
    ),
    "text/calendar": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CoTask//EN\r\nEND:VCALENDAR\r\n",
}
# Values that match a pattern a field states; each pattern is tried against all of them.
_PATTERN_CANDIDATES = (
    "09:00",
    "12.50",
    "12.5",
    "#3B82F6",
    "ada_lovelace",
    "ada",
    "ada@example.com",
    "a" * 64,
    "k7qx2m4pa",
)
# Recursion bound: a schema that refers to itself stops at its second visit, any at this depth.
_MAX_DEPTH = 12
_WRITES = {"post", "put", "patch", "delete"}
METHODS = ("get", "post", "put", "patch", "delete")
EXAMPLE_NAME = "example"

# What each error answer says (English: the documents are in English).
_REQUIRED = "This field is required."
_QUERY_TEXTS = {
    "cursor": "This cursor is not valid.",
    "page_size": "Give a whole number from 1 to 100.",
}
_BY_STATUS: dict[str, tuple[str, str]] = {
    "401": ("not_authenticated", "Authentication credentials were not provided."),
    "403": ("permission_denied", "You do not have permission to perform this action."),
    "404": ("not_found", "Nothing is here."),
    "405": ("method_not_allowed", 'Method "POST" not allowed.'),
    "409": ("conflict", "This conflicts with the current state of the resource."),
    "410": ("gone", "This is no longer here."),
    "413": ("too_large", "The file is too large."),
    "415": ("unsupported_media_type", "Unsupported media type in the request."),
    "429": ("throttled", "Too many requests: at most 30 a minute."),
    "503": ("service_unavailable", "This part of CoTask is unavailable right now; try again."),
}
# The shared answers (`components.responses`) whose one example is true of every operation.
_SHARED = {"401": "Unauthorized", "404": "NotFound", "429": "TooManyRequests"}
_BANNED = ("user_banned", "This account is banned until 12 December 2026, 09:30.")


def add_examples(document: dict[str, Any], *, standard: dict[str, str] | None = None) -> None:
    """Gives every operation of `document` the examples it lacks (see the module's doc);
    `standard` is the kit's description of each shared answer, by status (an answer described
    otherwise is the view's own case)."""
    standard = standard or {}
    for status, name in _SHARED.items():
        answer = document.get("components", {}).get("responses", {}).get(name, {})
        for media in answer.get("content", {}).values():
            if not _has_example(media):
                value = _error_example(document, {}, "get", status)
                media["examples"] = {EXAMPLE_NAME: {"value": value, "summary": value["code"]}}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                _operation_examples(document, path, method, operation, standard)


def _operation_examples(
    document: dict[str, Any],
    path: str,
    method: str,
    operation: dict[str, Any],
    standard: dict[str, str],
) -> None:
    body = operation.get("requestBody", {})
    for media in body.get("content", {}).values():
        if _has_example(media) or "schema" not in media:
            continue
        value = example_value(document, media["schema"], direction="request")
        media["examples"] = {EXAMPLE_NAME: {"value": value, "summary": "A valid request"}}
    for status, response in operation.get("responses", {}).items():
        if "$ref" in response and status in _SHARED:
            continue  # the shared answer's example (see `add_examples`) is true of every one
        if "$ref" in response:
            # A 400 or 403 gets its own copy of the shared answer, with an example that is true
            # of the operation (the field a 400 names, the ban a 403 of a write tells of).
            response = dict(_resolve(document, response))
            response["content"] = {
                kind: dict(media) for kind, media in response.get("content", {}).items()
            }
            operation["responses"][status] = response
        for kind, media in response.get("content", {}).items():
            for example in (media.get("examples") or {}).values():
                _link_pages(example.get("value"), path)
            if _has_example(media) or "schema" not in media:
                continue
            if status.isdigit() and int(status) >= 400:
                value = _error_example(document, operation, method, status)
                description = str(response.get("description") or "")
                if description != standard.get(status):
                    _tell_own_case(value, status, description)
                summary = value["code"]
            elif kind in _BY_MEDIA_TYPE:
                value, summary = _BY_MEDIA_TYPE[kind], "The file"
            else:
                value = example_value(document, media["schema"], direction="response", path=path)
                summary = "A success" if kind == "application/json" else f"A {kind} body"
            media["examples"] = {EXAMPLE_NAME: {"value": value, "summary": summary}}


def _link_pages(value: Any, path: str) -> None:
    """A cursor page's example links lead to the pages around it, on the operation's own path
    (drf-spectacular wraps a list's declared example in the paginator's example page)."""
    if not isinstance(value, dict) or not path:
        return
    for key, placeholder in (("next", EXAMPLE_NEXT), ("previous", EXAMPLE_PREVIOUS)):
        if value.get(key) == placeholder:
            value[key] = placeholder.replace(f"{_SERVER}/", f"{_SERVER}{path}", 1)


def _has_example(media: dict[str, Any]) -> bool:
    return bool(media.get("examples")) or "example" in media


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node, seen = target, seen + 1
    return node


def example_value(
    document: dict[str, Any],
    schema: dict[str, Any],
    *,
    direction: str,
    name: str = "",
    path: str = "",
    depth: int = 0,
    index: int = 0,
    trail: tuple[str, ...] = (),
) -> Any:
    """A value valid against `schema` (a part of `document`), as a reader would expect it:
    `direction` is "request" (no readOnly fields, only the required ones) or "response"."""
    ref = schema.get("$ref")
    parts = schema.get("allOf") or []
    if not ref and len(parts) == 1:
        ref = parts[0].get("$ref")  # drf-spectacular's way to describe or null a $ref
    if ref and ref in trail:
        return _shallow(_merged(document, schema), "object")
    trail = (*trail, ref) if ref else trail
    return _example(document, _merged(document, schema), direction, name, path, depth, index, trail)


def _example(
    document: dict[str, Any],
    schema: dict[str, Any],
    direction: str,
    name: str,
    path: str,
    depth: int,
    index: int,
    trail: tuple[str, ...],
) -> Any:
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        choices = [c for c in schema["enum"] if c not in (None, "")] or schema["enum"]
        if not index and _BY_NAME.get(name) in choices:
            return _BY_NAME[name]
        return choices[index % len(choices)]
    options = schema.get("oneOf") or schema.get("anyOf")
    if options:
        return example_value(
            document,
            options[0],
            direction=direction,
            name=name,
            path=path,
            depth=depth,
            trail=trail,
        )
    if schema.get("default") not in (None, "", [], {}) and direction == "request":
        return schema["default"]
    kind = schema.get("type")
    if kind is None and "properties" in schema:
        kind = "object"
    if depth > _MAX_DEPTH:
        return _shallow(schema, kind)
    if kind == "object":
        return _object(document, schema, direction=direction, path=path, depth=depth, trail=trail)
    if kind == "array":
        least = schema.get("minItems", 0)
        count = min(max(least, 1), schema.get("maxItems", 1 if least <= 1 else least))
        if count == 0 or depth >= _MAX_DEPTH:
            return []
        item = schema.get("items", {})
        if item.get("$ref") in trail and not least:
            return []  # a list of what is being made: empty stops the recursion
        singular = name[:-1] if name.endswith("s") else name
        return [
            example_value(
                document,
                item,
                direction=direction,
                name=singular,
                depth=depth + 1,
                index=i,
                trail=trail,
            )
            for i in range(count)
        ]
    if kind == "boolean":
        return direction == "response"
    if kind in ("integer", "number"):
        return _number(schema, kind, name)
    if kind == "string":
        owner = trail[-1].rsplit("/", 1)[-1] if trail else ""
        return _string(schema, name, index, owner)
    return {}


def _merged(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its $ref followed and an allOf folded in (siblings kept)."""
    if "$ref" in schema:
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**_merged(document, _resolve(document, schema)), **siblings}
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = _merged(document, part)
            properties = {**merged.get("properties", {}), **part.get("properties", {})}
            required = [*merged.get("required", []), *part.get("required", [])]
            merged.update(part)
            if properties:
                merged["properties"] = properties
            if required:
                merged["required"] = required
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        schema = {**merged, **rest}
    return schema


def _shallow(schema: dict[str, Any], kind: Any) -> Any:
    if schema.get("nullable"):
        return None
    return {"object": {}, "array": [], "boolean": False, "integer": 0, "number": 0}.get(kind, "")


def _object(
    document: dict[str, Any],
    schema: dict[str, Any],
    *,
    direction: str,
    path: str,
    depth: int,
    trail: tuple[str, ...],
) -> dict[str, Any]:
    properties = schema.get("properties", {})
    hidden = "readOnly" if direction == "request" else "writeOnly"
    visible = {
        name: part
        for name, part in properties.items()
        if not _merged(document, part).get(hidden) and not part.get(hidden)
    }
    if direction == "request":
        required = set(schema.get("required", []))
        chosen = [name for name in visible if name in required] or list(visible)[:1]
    else:
        chosen = list(visible)
    value = {
        name: example_value(
            document, visible[name], direction=direction, name=name, depth=depth + 1, trail=trail
        )
        for name in chosen
    }
    if direction == "response" and {"next", "previous", "results"} <= set(visible):
        value.update(next=EXAMPLE_NEXT, previous=EXAMPLE_PREVIOUS)
        _link_pages(value, path)
    extra = schema.get("additionalProperties")
    if not value and isinstance(extra, dict) and not properties:
        value = {
            "key": example_value(document, extra, direction=direction, depth=depth + 1, trail=trail)
        }
    return value


def _number(schema: dict[str, Any], kind: str, name: str) -> int | float:
    wanted: float = _NUMBER_BY_NAME.get(name, 1.5 if kind == "number" else 1)
    if name.endswith("_count") or name in ("count", "total", "unread"):
        wanted = 3
    least, most = schema.get("minimum"), schema.get("maximum")
    step = 1 if kind == "integer" else 0.5
    if least is not None and (
        wanted < least or (wanted == least and schema.get("exclusiveMinimum"))
    ):
        wanted = least + step if schema.get("exclusiveMinimum") else least
    if most is not None and (wanted > most or (wanted == most and schema.get("exclusiveMaximum"))):
        wanted = most - step if schema.get("exclusiveMaximum") else most
    return int(wanted) if kind == "integer" else wanted


def _string(schema: dict[str, Any], name: str, index: int, owner: str = "") -> str:
    fmt = schema.get("format", "")
    pattern = schema.get("pattern")
    if fmt == "uuid":
        value = str(uuid.uuid5(_NAMESPACE, f"{name}:{index}"))
    elif fmt == "decimal":
        value = "12.50"
    elif fmt in _BY_FORMAT:
        value = _BY_FORMAT[fmt]
    elif name == "name" and any(word in owner for word, _value in _NAME_BY_OWNER):
        value = next(text for word, text in _NAME_BY_OWNER if word in owner)
    elif name in _BY_NAME:
        value = _BY_NAME[name]
    elif name.endswith("_id"):
        value = str(uuid.uuid5(_NAMESPACE, f"{name}:{index}"))
    elif name.endswith(("_at", "_until")):
        value = _MOMENT
    elif name.endswith(("_on", "_date", "day")):
        value = _DAY
    elif name.endswith(("url", "_link")):
        value = f"{_SERVER}/files/ada.png"
    else:
        value = name.replace("_", " ").capitalize() or "Text"
    if pattern and not re.search(pattern, value):
        value = next((c for c in _PATTERN_CANDIDATES if re.search(pattern, c)), value)
    if index and not fmt and not pattern and "enum" not in schema:
        value = f"{value} {index + 1}"
    least, most = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < least:
        value = value + "x" * (least - len(value))
    if most is not None and len(value) > most:
        value = value[:most]
    return value


def _error_example(
    document: dict[str, Any], operation: dict[str, Any], method: str, status: str
) -> dict[str, Any]:
    if status == "400":
        field, code, text = _bad_input(document, operation)
        fields = {field: [{"code": code, "message": text}]}
        return {"code": "invalid", "message": f"{field}: {text}", "fields": fields}
    if status == "403" and method in _WRITES:
        code, text = _BANNED
    else:
        code, text = _BY_STATUS.get(status, ("error", "The request could not be served."))
    error: dict[str, Any] = {"code": code, "message": text}
    if status == "429":
        error["retry_after"] = 42
    return error


def _tell_own_case(error: dict[str, Any], status: str, description: str) -> None:
    """An answer the view described itself (`error_response("...")`) says that case: its
    description is the message, a code it names in backticks in parentheses (`(`taken`)`) is
    the code."""
    if status == "400" or not description:
        return
    named = re.search(r"\(`([a-z][a-z0-9_]*)`", description)
    if named:
        error["code"] = named.group(1)
    elif status in _BY_STATUS:
        error["code"] = _BY_STATUS[status][0]  # (a 403 it describes is not a ban)
    text = re.sub(r"\s*\([^)]*\)", "", description).replace("`", "").strip()
    error["message"] = text if text.endswith((".", "!", "?")) else f"{text}."


def _bad_input(document: dict[str, Any], operation: dict[str, Any]) -> tuple[str, str, str]:
    """The field or parameter a 400 of this operation names, its code and message."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = _merged(document, media.get("schema", {}))
        properties = schema.get("properties", {})
        required = [name for name in properties if name in schema.get("required", [])]
        if required:
            return required[0], "required", _REQUIRED
    for parameter in operation.get("parameters", []):
        parameter = _resolve(document, parameter)
        if parameter.get("in") == "query":
            schema = _merged(document, parameter.get("schema", {}))
            name = parameter["name"]
            text = _QUERY_TEXTS.get(name) or _invalid_text(schema)
            return name, "invalid", text
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = _merged(document, media.get("schema", {}))
        for name, part in schema.get("properties", {}).items():
            return name, "invalid", _invalid_text(_merged(document, part))
    return "non_field_errors", "invalid", "Invalid input."


def _invalid_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return '"maybe" is not a valid choice.'
    return {
        "integer": "A valid integer is required.",
        "number": "A valid number is required.",
        "boolean": "Must be a valid boolean.",
        "array": 'Expected a list of items but got type "str".',
        "object": 'Expected a dictionary of items but got type "str".',
    }.get(schema.get("type", ""), "Enter a valid value.")
