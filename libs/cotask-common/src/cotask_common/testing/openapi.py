"""What a service's OpenAPI document must say about each operation, checked (see
`cotask_common.openapi` for how the kit supplies most of it)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from cotask_common.openapi import NOTES_SEPARATOR

METHODS = ("get", "post", "put", "patch", "delete")
_OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")  # snake_case, two words or more


def document_problems(document: dict[str, Any], *, service: str) -> list[str]:
    """Every way the document falls short, one line each (empty: none)."""
    problems: list[str] = []
    ids: Counter[str] = Counter()
    summaries: Counter[str] = Counter()
    for path, where, operation in _operations(document):
        problems += [f"{where}: {p}" for p in operation_problems(operation, path, service)]
        ids[operation.get("operationId", "")] += 1
        summaries[operation.get("summary", "")] += 1
    problems += [f"operationId {k!r} is used {n} times" for k, n in ids.items() if k and n > 1]
    problems += [f"summary {k!r} is used {n} times" for k, n in summaries.items() if k and n > 1]
    problems += _component_problems(document)
    return problems


def operation_problems(operation: dict[str, Any], path: str, service: str) -> list[str]:
    problems = []
    operation_id = operation.get("operationId", "")
    if not _OPERATION_ID.match(operation_id) or not operation_id.startswith(f"{service}_"):
        problems.append(f"operationId {operation_id!r} is not `{service}_<words>`, snake_case")
    if not (operation.get("summary") or "").strip():
        problems.append("no summary")
    description = operation.get("description") or ""
    if not description.strip():
        problems.append("no description")
    own = description.split(NOTES_SEPARATOR)[0]
    if "mixin" in own.lower():
        problems.append(f"the description is a mixin's docstring: {own[:60]!r}")
    if not operation.get("tags"):
        problems.append("no tag")
    responses = operation.get("responses", {})
    expected = set()
    if operation.get("requestBody") or any(
        p.get("in") == "query" or p.get("$ref", "").endswith(("/Cursor", "/PageSize"))
        for p in operation.get("parameters", [])
    ):
        expected.add("400")
    if any("jwtAuth" in requirement for requirement in operation.get("security", [])):
        expected |= {"401", "403"}
    if "{" in path:
        expected.add("404")
    for status in sorted(expected - set(responses)):
        problems.append(f"answer {status} is not documented")
    if not any(status.startswith("2") for status in responses):
        problems.append("no success answer")
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400 and not _is_error_shape(response):
            problems.append(f"answer {status} is not in the error shape")
    if not any(
        p.get("$ref") == "#/components/parameters/AcceptLanguage"
        for p in operation.get("parameters", [])
    ):
        problems.append("Accept-Language is not referenced")
    return problems


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each operation of the document: its path, `METHOD path`, and the operation."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if (operation := item.get(method)) is not None:
                yield path, f"{method.upper()} {path}", operation


def _is_error_shape(response: dict[str, Any]) -> bool:
    if response.get("$ref", "").startswith("#/components/responses/"):
        return True
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref") == "#/components/schemas/Error"


def _component_problems(document: dict[str, Any]) -> list[str]:
    components = document.get("components", {})
    problems = []
    schemes = components.get("securitySchemes", {})
    if set(schemes) - {"jwtAuth"}:
        problems.append(f"security schemes other than jwtAuth: {sorted(schemes)}")
    for name in ("Cursor", "PageSize", "AcceptLanguage"):
        if name not in components.get("parameters", {}):
            problems.append(f"components.parameters.{name} is missing")
    if "Error" not in components.get("schemas", {}):
        problems.append("components.schemas.Error is missing")
    return problems


def example_problems(document: dict[str, Any]) -> list[str]:
    """Every request body and every response with content that lacks an example, and every
    example that its schema refuses (OpenAPI 3.0's `nullable` read as "or null"; `$ref`s
    resolved against the document; formats checked where `jsonschema` knows them)."""
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    # A field is required only where it goes: a readOnly one in answers, a writeOnly one in
    # requests (OpenAPI 3.0).
    registries = {
        direction: Registry().with_resource(
            _DOCUMENT_URI, DRAFT4.create_resource(_json_schema(document, direction))
        )
        for direction in ("request", "response")
    }
    checker = _format_checker()

    def check(where: str, media: dict[str, Any], direction: str) -> list[str]:
        values = []
        if "example" in media:
            values.append(("example", media["example"]))
        for name, example in (media.get("examples") or {}).items():
            example = _follow(document, example)
            if "value" in example:
                values.append((name, example["value"]))
        if not values:
            return [f"{where}: no example"]
        validator = jsonschema.Draft4Validator(
            _json_schema(media.get("schema", {}), direction),
            registry=registries[direction],
            format_checker=checker,
        )
        found = []
        for name, value in values:
            for error in validator.iter_errors(value):
                at = "/".join(str(p) for p in error.absolute_path) or "(the whole value)"
                found.append(f"{where}: example {name!r} is invalid at {at}: {error.message}")
        return found

    problems: list[str] = []
    for _path, where, operation in _operations(document):
        body = _follow(document, operation.get("requestBody", {}))
        for kind, media in body.get("content", {}).items():
            problems += check(f"{where}: request {kind}", media, "request")
        for status, response in operation.get("responses", {}).items():
            response = _follow(document, response)
            for kind, media in response.get("content", {}).items():
                problems += check(f"{where}: answer {status} {kind}", media, "response")
    return problems


_DOCUMENT_URI = "urn:cotask:openapi"


def _format_checker() -> Any:
    """jsonschema's format checks, with the ones it leaves to optional packages: a `date-time`
    with its offset, a `date`, an absolute `uri`."""
    import jsonschema

    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _moment(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return datetime.fromisoformat(value).tzinfo is not None and "T" in value

    @checker.checks("date", raises=ValueError)
    def _day(value: object) -> bool:
        return not isinstance(value, str) or (bool(date.fromisoformat(value)) and len(value) == 10)

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc) and not any(c in value for c in ' "<>')

    return checker


def _follow(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _json_schema(node: Any, direction: str) -> Any:
    """An OpenAPI 3.0 schema (or a whole document) as JSON Schema (draft 4, which 3.0's schema
    follows) for a `direction`'s values: `nullable: true` becomes "or null", `$ref`s point into
    the document, and a field that does not go that way is not required."""
    if isinstance(node, list):
        return [_json_schema(item, direction) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value, direction) for key, value in node.items()}
    if isinstance(converted.get("required"), list) and isinstance(node.get("properties"), dict):
        away = "writeOnly" if direction == "response" else "readOnly"
        converted["required"] = [
            name
            for name in converted["required"]
            if not (node["properties"].get(name) or {}).get(away)
        ]
        if not converted["required"]:
            del converted["required"]
    if isinstance(converted.get("$ref"), str) and converted["$ref"].startswith("#/"):
        converted["$ref"] = _DOCUMENT_URI + converted["$ref"]
    if converted.pop("nullable", False) is True:
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
        return {"anyOf": [converted, {"type": "null"}]}
    return converted
