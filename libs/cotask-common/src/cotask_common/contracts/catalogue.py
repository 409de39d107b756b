"""docs/events.md, rendered from the declarations (`make events-doc`; a kit test fails when the
committed file differs from `render()`)."""

from __future__ import annotations

import inspect
import types
import typing
import uuid
from collections.abc import Iterable
from datetime import datetime
from importlib import import_module
from typing import Any, Literal, NotRequired, Required

from pydantic import AwareDatetime

from cotask_common.contracts.registry import (
    SERVICES,
    Declaration,
    field_docs,
    payload_bases,
    registry,
)

INTRO = """\
# Event catalogue

<!-- Generated from libs/cotask-common/src/cotask_common/contracts/ by `make events-doc`.
     Do not edit by hand: change the declarations and run it again (a test compares). -->

Every event CoTask services exchange is declared in code, in the kit:
`cotask_common/contracts/<service>.py` holds every type its service publishes, one payload class
(a `TypedDict`) per type and version, with what its key is and which services consume it. This
file is generated from those declarations: who produces each type, who consumes it and what they
do, and its `data`. `publish_event` refuses a type or version that is not declared, and `data`
that does not match its declaration (a missing, mistyped or undeclared key), naming the type and
the field; in production too.

## Envelope

Every event is one JSON object:

| field | type | meaning |
| --- | --- | --- |
| `id` | UUID (v7) | unique per event; the idempotency key consumers record in `ProcessedEvent` |
| `type` | string | `<service>.<aggregate>.<verb>`, for example `auth.user.registered` |
| `version` | integer | version of `data`'s shape for this type, starting at 1 |
| `occurred_at` | ISO 8601, UTC | when the producer recorded the change (in its transaction) |
| `producer` | string | the service that wrote it (`auth`, `social`, …) |
| `key` | string | the aggregate's id, the Kafka message key: its events stay in order |
| `actor` | UUID or null | the user who caused it, if any |
| `data` | object | the type's payload, below |

Topic: `<service>.<aggregate>` (the type without its verb), for example `auth.user`. A message that
keeps failing in a consumer goes to `<topic>.dlq` with headers `error`, `error_type`,
`original_topic`, `attempts`, and the original value.

Producing: services call `cotask_common.events.outbox.publish_event(...)` inside the transaction
of the change; the service's relay (`manage.py run_events`) publishes outbox rows to the bus.
Consuming: consumer group = service name; handlers (`@event_handler("type")` in an app's
`events.py`) run inside a transaction that also records the event id, and the offset is stored
only after it commits (stored offsets are committed every 100 messages or 1 s, when idle and on
stopping; a redelivered event is recognised by its id and skipped). `KAFKA_TOPIC_PREFIX`
prefixes every topic and group on the broker (an environment sharing a cluster); the names here
are without it.

## Versions

Adding a key is compatible: add it to the current declaration (consumers ignore keys they do not
read). A change a consumer could trip on (a key removed or renamed, a type changed) is a new
version: a new declaration beside the old one. Producers publish the latest
version only (`publish_event` refuses an older one); consumers accept every declared version
until the older ones are gone from every outbox and dead-letter topic, then the old
declaration and the consumers' fallbacks are removed together. Each consumer's handlers are
tested with an example of every declared version of every type it handles
(`cotask_common.contracts.example_payload`, in the shared service contract tests).

## Adding an event type

1. Declare it in `libs/cotask-common/src/cotask_common/contracts/<service>.py`: a class deriving
   from `typing_extensions.TypedDict` (pydantic needs that one on Python 3.11), or from a shared
   block of the module, decorated with `@declare("<service>.<aggregate>.<verb>", key=...,
   consumers={...})`, with a docstring saying when it is published and one annotated key per
   field (`NotRequired[...]` when it may be omitted, `X | None` when it may be null), with a
   docstring below each that needs one.
2. Publish it with `publish_event(type=..., key=..., data={...})` from the service's
   `services.py` (a dict, or the declared class: `data=PostCreated(...)`).
3. In each consuming service, `@event_handler("<type>")`; the consumer is named in `consumers`
   (the shared contract tests fail otherwise).
4. `make events-doc`, and commit docs/events.md with the declaration.
"""

# What a consuming service's tests check, so the catalogue cannot claim what is not so.
Shared = dict[type, list[Declaration]]


def render() -> str:
    declarations = registry.all()
    parts = [INTRO, _index(declarations)]
    for service in SERVICES:
        mine = [d for d in declarations if d.producer == service]
        if mine:
            parts.append(_service_section(service, mine))
    parts.append(_consumers(declarations))
    return "\n".join(part.rstrip() + "\n" for part in parts)


def _consumers(declarations: list[Declaration]) -> str:
    """Per consuming service: what it handles and does (its handlers live in its apps'
    `events.py`; the shared contract tests check this list against them)."""
    lines = ["## By consumer", ""]
    for service in SERVICES:
        handled = [
            d
            for d in declarations
            if service in d.consumers and d.version == registry.latest(d.type)
        ]
        if not handled:
            continue
        lines += [f"### {service} consumes", "", "| type | versions | what it does |"]
        lines.append("| --- | --- | --- |")
        for d in handled:
            versions = ", ".join(f"v{v}" for v in registry.versions(d.type))
            what = d.consumers[service].replace("|", "\\|")
            lines.append(f"| [`{d.type}`](#{_anchor(d.type)}) | {versions} | {what} |")
        lines.append("")
    return "\n".join(lines)


def _index(declarations: list[Declaration]) -> str:
    lines = [
        "## Index",
        "",
        "| type | published | also accepted | consumers |",
        "| --- | --- | --- | --- |",
    ]
    for event_type in sorted({d.type for d in declarations}):
        versions = registry.versions(event_type)
        latest = registry.get(event_type, versions[-1])
        consumers = ", ".join(sorted(latest.consumers)) or "—"
        older = ", ".join(f"v{v}" for v in versions[:-1]) or "—"
        lines.append(
            f"| [`{event_type}`](#{_anchor(event_type)}) | v{versions[-1]} | {older} | "
            f"{consumers} |"
        )
    return "\n".join(lines)


def _anchor(event_type: str) -> str:
    # GitHub's heading anchors: lowercase, punctuation but `-`/`_` dropped, spaces to `-`.
    return event_type.replace(".", "")


def _service_section(service: str, declarations: list[Declaration]) -> str:
    module = import_module(f"cotask_common.contracts.{service}")
    current = [d for d in declarations if d.version == registry.latest(d.type)]
    shared = _shared_blocks(current)
    lines = [f"## {service}", "", inspect.cleandoc(module.__doc__ or ""), ""]
    placed: set[type] = set()
    section_wide = [b for b, users in shared.items() if len({u.topic for u in users}) > 1]
    for block in section_wide:
        lines += _block(block, shared, f"in every `{service}` type that names it")
        placed.add(block)
    for topic in sorted({d.topic for d in declarations}):
        lines += [f"### Topic `{topic}`", ""]
        in_topic = [d for d in current if d.topic == topic]
        for block, users in shared.items():
            if block not in placed and all(u.topic == topic for u in users):
                lines += _block(block, shared, "")
                placed.add(block)
        for declaration in in_topic:
            lines += _declaration(declaration, shared)
    return "\n".join(lines)


def _shared_blocks(current: list[Declaration]) -> Shared:
    """Base classes used by two or more current declarations: rendered once, referred to."""
    users: Shared = {}
    for declaration in current:
        for base in payload_bases(declaration.payload):
            users.setdefault(base, []).append(declaration)
    return {base: found for base, found in users.items() if len(found) > 1}


def _block(block: type, shared: Shared, where: str) -> list[str]:
    refs, fields = _composition(block, shared)
    used = sorted({d.type.rsplit(".", 1)[-1] for d in shared[block]})
    title = f"**`{block.__name__}`**"
    note = where or "in " + ", ".join(f"`.{verb}`" for verb in used)
    lines = [f"{title} ({note})", ""]
    doc = inspect.cleandoc(block.__doc__ or "") if "__doc__" in block.__dict__ else ""
    if doc:
        lines += [doc, ""]
    lines += _fields_table(block, fields, refs)
    return lines


def _declaration(declaration: Declaration, shared: Shared) -> list[str]:
    refs, fields = _composition(declaration.payload, shared)
    versions = registry.versions(declaration.type)
    lines = [f"#### `{declaration.type}`", ""]
    lines += [f"Version {declaration.version}. {declaration.summary}", ""]
    facts = [f"key: {declaration.key}"]
    if declaration.actor:
        facts.append(f"actor: {declaration.actor}")
    lines += ["; ".join(facts) + ".", ""]
    lines += ["Data:", "", *_fields_table(declaration.payload, fields, refs)]
    if declaration.consumers:
        lines += ["Consumers:", ""]
        lines += [f"- {service}: {what}" for service, what in sorted(declaration.consumers.items())]
        lines.append("")
    else:
        lines += ["Consumers: none yet.", ""]
    for old in versions[:-1]:
        lines += [_older(registry.get(declaration.type, old), declaration), ""]
    return lines


def _older(old: Declaration, latest: Declaration) -> str:
    old_hints, new_hints = _hints(old.payload), _hints(latest.payload)
    docs = field_docs(old.payload)
    added = [name for name in old_hints if name not in new_hints]
    dropped = [name for name in new_hints if name not in old_hints]
    changed = [
        name
        for name in old_hints
        if name in new_hints and _type_text(old_hints[name]) != _type_text(new_hints[name])
    ]
    parts = []
    if added:
        described = (f"`{name}`" + (f" ({docs[name]})" if name in docs else "") for name in added)
        parts.append("plus " + ", ".join(described))
    if dropped:
        parts.append("without " + ", ".join(f"`{name}`" for name in dropped))
    if changed:
        parts.append(
            "with " + ", ".join(f"`{name}` as {_type_text(old_hints[name])}" for name in changed)
        )
    diff = "; ".join(parts) or "the same keys"
    return (
        f"Version {old.version} (no longer published; consumers accept it): "
        f"version {latest.version}'s data {diff}."
    )


def _hints(payload: type) -> dict[str, Any]:
    return typing.get_type_hints(payload, include_extras=True)


def _composition(payload: type, shared: Shared) -> tuple[list[type], list[str]]:
    """(shared blocks it includes, its other fields in order)."""
    refs: list[type] = []
    inherited: set[str] = set()
    for base in getattr(payload, "__orig_bases__", ()):
        if not hasattr(base, "__required_keys__"):
            continue
        if base in shared:
            refs.append(base)
            inherited |= set(_hints(base))
        else:
            sub_refs, _ = _composition(base, shared)
            for ref in sub_refs:
                if ref not in refs:
                    refs.append(ref)
                    inherited |= set(_hints(ref))
    fields = [name for name in _hints(payload) if name not in inherited]
    return refs, fields


def _fields_table(payload: type, fields: Iterable[str], refs: list[type]) -> list[str]:
    fields = list(fields)
    hints = _hints(payload)
    docs = field_docs(payload)
    lines: list[str] = []
    if refs:
        names = " and ".join(f"`{ref.__name__}`" for ref in refs)
        lines += [f"The keys of {names}" + (", plus:" if fields else "."), ""]
    if not fields:
        if not refs:
            lines += ["No keys.", ""]
        return lines
    lines += ["| key | type | |", "| --- | --- | --- |"]
    for name in fields:
        optional = name in getattr(payload, "__optional_keys__", ())
        text = docs.get(name, "").replace("\n", " ").replace("|", "\\|")
        if optional:
            text = f"optional; {text}" if text else "optional"
        lines.append(f"| `{name}` | {_type_text(hints[name])} | {text} |")
    lines.append("")
    return lines


def _type_text(hint: Any) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (NotRequired, Required, typing.Annotated):
        return _type_text(args[0])
    if origin is Literal:
        return " \\| ".join(f"`{value}`" for value in args)
    if origin in (typing.Union, types.UnionType):
        real = [a for a in args if a is not type(None)]
        text = " or ".join(_type_text(a) for a in real)
        return f"{text} or null" if len(real) < len(args) else text
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin is dict:
        return f"object: {_type_text(args[0])} → {_type_text(args[1])}"
    if hint is uuid.UUID:
        return "UUID"
    if hint is AwareDatetime or hint is datetime:
        return "ISO 8601 time with zone"
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if hint in simple:
        return simple[hint]
    if hasattr(hint, "__required_keys__"):
        inner = ", ".join(f"`{name}`: {_type_text(h)}" for name, h in _hints(hint).items())
        return f"{{{inner}}}"
    return f"`{getattr(hint, '__name__', hint)}`"
