"""What a service's OpenAPI document must say about each operation, checked (see
`cotask_common.openapi` for how the kit supplies most of it)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from cotask_common.openapi import NOTES_SEPARATOR

METHODS = ("get", "post", "put", "patch", "delete")
_OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")  # snake_case, two words or more


def document_problems(document: dict[str, Any], *, service: str) -> list[str]:
    """Every way the document falls short, one line each (empty: none)."""
    problems: list[str] = []
    ids: Counter[str] = Counter()
    summaries: Counter[str] = Counter()
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            where = f"{method.upper()} {path}"
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
