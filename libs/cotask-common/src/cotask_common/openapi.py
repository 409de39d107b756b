"""The OpenAPI documents of every service, made the same way: what a client developer may rely on.

`AutoSchema` (every service's `DEFAULT_SCHEMA_CLASS`) and `postprocess` (its postprocessing hook)
give every operation:

- a summary and description of its own: `extend_schema(summary=..., description=...)`, else the
  method's docstring, else the view class's *own* docstring (never one inherited from a mixin);
- a tag (the first path segment after `/api/<service>/`) and an operationId
  `<service>_<path words>_<action>` (`social_posts_list`, `tasks_rooms_join_create`), a name a
  client generator turns into a readable method;
- every error it can answer, with the one error shape (`Error`, see `cotask_common.errors`): 400
  where it takes input (a body or query parameters), 401 and 403 where a token is checked (a bad
  token; a ban, a role or a rule that says no), 404 on routes with path parameters, 429 where a
  rate limit applies;
- the parts every list and request share, described once under `components` and referenced:
  the `cursor` and `page_size` parameters, the `Accept-Language` header, the rate-limit answer;
- request and response examples (`cotask_common.openapi_examples`): the ones a view declares
  (`extend_schema(examples=[OpenApiExample(...)])`), else ones made from the schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, get_doc
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers as drf_serializers
from rest_framework.settings import api_settings

from cotask_common.openapi_examples import add_examples
from cotask_common.pagination import CursorPagination
from cotask_common.strict_json import decimal_pattern

HH_MM = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
# Some character that is not whitespace: what a trimmed, non-blank text field accepts.
NOT_BLANK = r"\S"
# Whitespace spelled out for patterns that a client's validator and the service must read
# alike: `\s` differs between Python's `re` (which counts \x1c-\x1f and \x85) and the
# ECMAScript regexes of JSON Schema tools (which count \ufeff). `SPACE` is what both count;
# `NOT_SPACE` also refuses the disputed characters, so a text holding one matches neither.
_SPACES = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SPACE = f"[{_SPACES}]"
NOT_SPACE = rf"[^{_SPACES}\x1c-\x1f\x85\ufeff]"


def trimmed_text_pattern(max_length: int, *, required: bool = False) -> str:
    """A text of at most `max_length` characters once the whitespace around it is trimmed
    (and not blank when `required`), as a pattern: a raw `maxLength` would refuse what the
    service accepts after trimming. The service checks the raw text against this same pattern
    (`re.fullmatch`), so both refuse the disputed characters at its ends alike."""
    core = NOT_SPACE
    if max_length > 1:
        core += rf"(?:[\s\S]{{0,{max_length - 2}}}{NOT_SPACE})?"
    if not required:
        core = f"(?:{core})?"
    return rf"^{SPACE}*{core}{SPACE}*$"


# An address Django's EmailValidator accepts (`format: email` alone admits `a@b.c`, whose
# one-letter top-level domain Django refuses): a dot-atom, then labels and a TLD of 2 to 63
# letters (Django refuses digits there).
_ATOM = "[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Standard answers, by status: the component's name and what it means.
STANDARD_ERRORS = {
    "400": (
        "BadRequest",
        "The input is invalid: `fields` names each bad field or parameter (an address longer "
        "than the gateway's 8 KB is `uri_too_long`).",
    ),
    "401": (
        "Unauthorized",
        "No valid token: missing where required, malformed, expired, or its session ended.",
    ),
    "403": (
        "Forbidden",
        "The caller may not do this: a ban (`user_banned`), a role, or a rule of the resource.",
    ),
    "404": ("NotFound", "Nothing is here, or the caller may not learn that it exists."),
    "429": ("TooManyRequests", "A rate limit refused the request; retry after `Retry-After`."),
}
# Separates an operation's own text from the notes this module adds to it.
NOTES_SEPARATOR = "\n\n---\n"
_ACTIONS = {"put": "update", "patch": "partial_update", "delete": "destroy"}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema of one operation, with the kit's rules (see the module's doc)."""

    def get_description(self) -> str:  # type: ignore[override]
        method = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        own = get_doc(method)
        if own:
            return own
        # Only the view's own docstring: one inherited from a mixin or base view describes that
        # class, not this operation.
        doc = self.view.__class__.__dict__.get("__doc__")
        return get_doc(type("Doc", (), {"__doc__": doc})) if doc else ""

    def get_summary(self) -> str | None:
        method = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        own = get_doc(method)
        if own:
            return _first_sentence(own)
        # A view with one operation: its own docstring says what that operation does.
        handlers = [
            m for m in self.view.http_method_names if m != "options" and hasattr(self.view, m)
        ]
        doc = self.view.__class__.__dict__.get("__doc__")
        if doc and len(handlers) == 1:
            return _first_sentence(doc)
        return None

    def get_tags(self) -> list[str]:
        return super().get_tags() or [settings.COTASK_SERVICE]

    def get_operation_id(self) -> str:
        words = [_word(token) for token in self._tokenize_path()]
        method = self.method.lower()
        if method == "get":
            action = "list" if self._is_list_view() else "retrieve"
        else:
            action = _ACTIONS.get(method, "create")
        return "_".join([settings.COTASK_SERVICE, *[w for w in words if w], action])

    def _get_paginator(self) -> Any:
        paginator = super()._get_paginator()
        if paginator is not None:
            return paginator
        # Every list the services answer is a cursor page (`cotask_common.views.paginated`),
        # unless the view says `paginated_list = False` (a short fixed list).
        if getattr(self.view, "paginated_list", True):
            return CursorPagination()
        return None

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        # A PATCH is documented as partial (every field optional), as DRF's generic views take
        # it. A view that validates its body whole (`valid(Input, request.data)`) says so with
        # `whole_patch = True` on the serializer, and its document keeps the required fields.
        if self.method == "PATCH" and getattr(force_instance(serializer), "whole_patch", False):
            self.method = "PUT"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def map_parsers(self) -> list[Any]:
        media_types = super().map_parsers()
        # A body without files is JSON. DRF's form parsers read every value as text and coerce it
        # ("0" is false, a malformed multipart body is an empty one), so a document that offered
        # them would promise types the server cannot check; the server still reads them.
        if "application/json" in media_types and not _takes_files(self.get_request_serializer()):
            return ["application/json"]
        return media_types

    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        # `format: time` means HH:MM:SS (RFC 3339); the services' clock times are HH:MM.
        if isinstance(field, drf_serializers.TimeField) and _time_format(field) == "%H:%M":
            clock: dict[str, Any] = {"type": "string", "pattern": HH_MM, "example": "09:00"}
            if field.allow_null:
                clock["nullable"] = True
            return clock
        if isinstance(getattr(field, "document", None), dict):
            document = dict(field.document)
            if field.help_text:
                document["description"] = str(field.help_text)
            if field.allow_null:
                document["nullable"] = True
            return document
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(field, drf_serializers.EmailField):
            schema.setdefault("pattern", EMAIL)
        # A decimal is the text `strict_json.decimal_pattern` takes, which the service checks
        # in JSON: drf-spectacular's pattern lets "" and "." through and states no `min_value`.
        if isinstance(field, drf_serializers.DecimalField) and schema.get("type") == "string":
            pattern = decimal_pattern(field)
            if pattern:
                schema["pattern"] = pattern
        # A nested list of objects states its bounds (drf-spectacular leaves them out).
        if isinstance(field, drf_serializers.ListSerializer) and schema.get("type") == "array":
            # (DRF's stubs lack these attributes of ListSerializer.)
            most, least = getattr(field, "max_length", None), getattr(field, "min_length", None)
            if most is not None:
                schema["maxItems"] = most
            if least is not None:
                schema["minItems"] = least
        # A list that may not be empty says so (drf-spectacular leaves `allow_empty` out).
        if (
            direction == "request"
            and isinstance(field, drf_serializers.ListField)
            and not field.allow_empty
            and schema.get("type") == "array"
        ):
            schema["minItems"] = max(schema.get("minItems", 0), 1)
        # DRF trims a text field and then refuses it blank: "   " is as empty as "".
        if (
            direction == "request"
            and isinstance(field, drf_serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "enum" not in schema
            # A RegexField's (or slug's, URL's) own pattern is added later, from its validator.
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NOT_BLANK
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        # A documented field's schema is all there is (no "or blank" for a blank the field
        # lets through to the service's own check).
        if isinstance(getattr(field, "document", None), dict):
            return
        super()._insert_field_validators(field, schema)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        serializers = self.get_response_serializers()
        if self.method == "DELETE" and _has_body(serializers):
            # drf-spectacular writes 204 for every DELETE; one that answers a body answers 200.
            responses = {
                "200": self._get_response_for_code(serializers, "200", direction=direction)
            }
        else:
            responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in self._standard_errors():
            responses.setdefault(
                status, {"$ref": f"#/components/responses/{STANDARD_ERRORS[status][0]}"}
            )
        return dict(sorted(responses.items()))

    def _standard_errors(self) -> list[str]:
        found = []
        takes_query = any(
            p.get("in") == "query" for p in self._get_parameters() if isinstance(p, dict)
        )
        if self._get_request_body() or takes_query:
            found.append("400")
        if any("jwtAuth" in requirement for requirement in self.get_auth()):
            found += ["401", "403"]
        if "{" in self.path:
            found.append("404")
        if self.view.get_throttles():
            found.append("429")
        return found


def _takes_files(serializer: Any) -> bool:
    """Whether a request body (a serializer, or a dict of them per media type) has a file."""
    if isinstance(serializer, dict):
        return True  # a view that spelled out its media types keeps them
    serializer = force_instance(serializer)
    if not isinstance(serializer, drf_serializers.BaseSerializer):
        return False
    if isinstance(serializer, drf_serializers.ListSerializer):
        serializer = serializer.child
    fields = getattr(serializer, "fields", {})
    for field in fields.values():
        child = getattr(field, "child", None)
        if isinstance(field, drf_serializers.FileField) or isinstance(
            child, drf_serializers.FileField
        ):
            return True
        if isinstance(field, drf_serializers.BaseSerializer) and _takes_files(field):
            return True
    return False


class CheckedText(drf_serializers.CharField):
    """A text field whose document is `schema` (see `checked_text`)."""

    def __init__(self, *, schema: dict[str, Any], **kwargs: Any) -> None:
        self.document = {"type": "string", **schema}
        super().__init__(**kwargs)


class CheckedJSON(drf_serializers.JSONField):
    """A JSON field whose document is `schema` (see `checked_text`)."""

    def __init__(self, *, schema: dict[str, Any], **kwargs: Any) -> None:
        self.document = dict(schema)
        super().__init__(**kwargs)


def checked_text(schema: dict[str, Any], **kwargs: Any) -> CheckedText:
    """A text field whose document states `schema` (a `pattern`, lengths, an `enum`) that the
    service, not the field, checks, with messages of its own: the document says what the server
    enforces, and a blank value the field lets through to the service is not offered as valid."""
    return CheckedText(schema=schema, **kwargs)


def checked_json(schema: dict[str, Any], **kwargs: Any) -> CheckedJSON:
    """`checked_text` for a JSON field: `schema` is the value's whole document."""
    return CheckedJSON(schema=schema, **kwargs)


def documented(field_class: type[Any], schema: Callable[[], dict[str, Any]], **kwargs: Any) -> Any:
    """A `field_class(**kwargs)` whose document is `schema()`, called when the document is made
    (after every app registered what it lists): for a field a service narrows in its own
    validation, such as a dict of known keys only."""
    attrs = {"document": property(lambda _field: schema())}
    return type(f"Documented{field_class.__name__}", (field_class,), attrs)(**kwargs)


def error_response(description: str) -> OpenApiResponse:
    """An error answer with its own description, in the one error shape."""
    return OpenApiResponse(description=description)


def postprocess(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Adds the shared components, references them, and gives errors the one shape."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = _error_schema()
    components["responses"] = {
        name: _error_answer(status, description)
        for status, (name, description) in STANDARD_ERRORS.items()
    }
    components["parameters"] = _shared_parameters()
    components["headers"] = {
        "RetryAfter": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 0},
        }
    }
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _finish_operation(operation, settings.COTASK_SERVICE)
    add_examples(result, standard={status: text for status, (_n, text) in STANDARD_ERRORS.items()})
    return result


def _finish_operation(operation: dict[str, Any], service: str) -> None:
    # A name chosen with `extend_schema(operation_id=...)` keeps its words, behind the service's.
    if not operation["operationId"].startswith(f"{service}_"):
        operation["operationId"] = f"{service}_{operation['operationId']}"
    parameters = []
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") in _PARAMETER_REFS:
            parameters.append({"$ref": _PARAMETER_REFS[parameter["name"]]})
        else:
            parameters.append(parameter)
    parameters.append({"$ref": "#/components/parameters/AcceptLanguage"})
    operation["parameters"] = parameters

    for status, response in operation["responses"].items():
        if "$ref" in response or not status.isdigit() or int(status) < 400:
            continue
        response.setdefault("content", {"application/json": {"schema": ERROR_REF}})
        if status in STANDARD_ERRORS and not response.get("description"):
            response["description"] = STANDARD_ERRORS[status][1]
        if status == "429":
            response.setdefault("headers", {})["Retry-After"] = {
                "$ref": "#/components/headers/RetryAfter"
            }

    notes = _notes(operation)
    # `[{}]` (drf-spectacular's "no token") and `[]` say the same, but generators
    # (openapi-python-client) read only `[]` as "no token": a client must not need one to log in.
    if operation.get("security") == [{}]:
        operation["security"] = []
    own = (operation.get("description") or "").strip()
    operation["description"] = f"{own}{NOTES_SEPARATOR}{notes}" if own else notes


def _notes(operation: dict[str, Any]) -> str:
    security = operation.get("security", [])
    if not any("jwtAuth" in requirement for requirement in security):
        who = "No token needed."
    elif {} in security:
        who = "Anyone; a bearer token, when sent, is checked (an invalid one is a 401)."
    else:
        who = "Signed-in callers only: a bearer token (`jwtAuth`)."
    notes = [who]
    refs = {p.get("$ref") for p in operation.get("parameters", [])}
    if _PARAMETER_REFS["cursor"] in refs:
        notes.append(
            "A cursor page: follow `next` / `previous`; `page_size` sets its size (see `Cursor`)."
        )
    if "429" in operation["responses"]:
        notes.append("Rate limited: a refusal is a 429 naming the limit, with `Retry-After`.")
    return " ".join(notes)


_PARAMETER_REFS = {
    "cursor": "#/components/parameters/Cursor",
    "page_size": "#/components/parameters/PageSize",
}


def _shared_parameters() -> dict[str, Any]:
    return {
        "Cursor": {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": (
                "An opaque position in a list: take it from the `next` or `previous` link of "
                "the page before. Lists are ordered by a unique key, so a row is never shown "
                "twice while new ones arrive. A cursor that was not made by the server is a 400."
            ),
            "schema": {"type": "string"},
        },
        "PageSize": {
            "name": "page_size",
            "in": "query",
            "required": False,
            "description": (
                f"Rows per page, 1 to {CursorPagination.max_page_size} "
                f"(default {CursorPagination.page_size}); anything else is a 400."
            ),
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": CursorPagination.max_page_size,
                "default": CursorPagination.page_size,
            },
        },
        "AcceptLanguage": {
            "name": "Accept-Language",
            "in": "header",
            "required": False,
            "description": (
                "The language of every message meant for a person (`message`, notifications): "
                "`en`, `ru` or `uk`. The signed-in account's own language setting (the token's "
                "claim) wins; without either, English. Error `code`s never change with it."
            ),
            "schema": {"type": "string", "example": "uk"},
        },
    }


# JSON schema parts (the message checker reads a literal under a "message" key as a text).
_STRING = {"type": "string"}
_EXAMPLE_MESSAGE = "email: Enter a valid email address."


def _error_schema() -> dict[str, Any]:
    field_error = {
        "type": "object",
        "properties": {"code": _STRING, "message": _STRING},
        "required": ["code", "message"],
    }
    return {
        "type": "object",
        "description": (
            "Every error of every service. `code` is stable and machine-readable (`invalid`, "
            "`not_authenticated`, `permission_denied`, `not_found`, `throttled`, ...); "
            "`message` is for people, in their language."
        ),
        "properties": {
            "code": {"type": "string", "example": "invalid"},
            "message": {**_STRING, "example": _EXAMPLE_MESSAGE},
            "fields": {
                "type": "object",
                "description": "Each bad field or query parameter (dotted when nested).",
                "additionalProperties": {"type": "array", "items": field_error},
            },
            "request_id": {"type": "string"},
            "retry_after": {
                "type": "integer",
                "description": "With `throttled`: seconds until a retry may succeed.",
            },
        },
        "required": ["code", "message"],
    }


def _error_answer(status: str, description: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status == "429":
        answer["headers"] = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}
    return answer


def _has_body(serializers: Any) -> bool:
    if serializers is None or isinstance(serializers, dict):
        return False
    if isinstance(serializers, OpenApiResponse):
        return serializers.response is not None
    return True


def _time_format(field: Any) -> Any:
    from rest_framework.fields import empty

    return api_settings.TIME_FORMAT if field.format is empty else field.format


def _first_sentence(doc: str) -> str:
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    match = re.match(r"(.+?[.!?])(\s|$)", first)
    return (match.group(1) if match else first).rstrip(".")


def _word(token: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", token).strip("_").lower()


__all__ = ["AutoSchema", "error_response", "postprocess"]
