"""The registry of declared events: one payload class per (type, version).

A declaration is a `TypedDict` (typing_extensions', which pydantic needs on Python 3.11) decorated
with `@declare(...)`; pydantic validates event data against it in strict JSON mode, the form
consumers receive (UUIDs and times as strings, no coercion of "1" to 1), and refuses keys the
declaration does not name. Django-free on purpose: `scripts/events_doc.py` renders the catalogue
from these declarations without a settings module.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from typing import Any, TypeVar

from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config

from cotask_common.contracts.names import TYPE_PATTERN, EventValidationError

# Every service has its one declaration module, `cotask_common.contracts.<service>`.
SERVICES = ("auth", "social", "tasks", "habits", "media", "notifications")

# Strict: a string is not an int, a bool is not an int; UUIDs and times come as JSON strings.
# extra="forbid": a key the declaration does not name is an error, so the catalogue (generated
# from the declarations) describes every key that travels.
PAYLOAD_CONFIG = ConfigDict(extra="forbid", strict=True)

P = TypeVar("P", bound=type)


class UndeclaredEvent(EventValidationError):
    """No declaration for this (type, version)."""


class InvalidEventData(EventValidationError):
    """The data does not match the type's declaration; `problems` name each field."""


@dataclass(frozen=True)
class Declaration:
    type: str
    version: int
    payload: type
    # What the envelope's `key` is for this type (e.g. "the follow's id").
    key: str
    # service -> what it does on this event (the catalogue's "consumers"; tested against the
    # handlers each service registers).
    consumers: Mapping[str, str] = field(default_factory=dict)
    # Who `actor` is, when it needs saying.
    actor: str = ""

    @property
    def producer(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def topic(self) -> str:
        return self.type.rsplit(".", 1)[0]

    @property
    def summary(self) -> str:
        return inspect.cleandoc(self.payload.__doc__ or "")

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.payload)

    def validate(self, data: Any) -> None:
        """Raise InvalidEventData naming the type, version and every wrong field."""
        try:
            # JSON mode: the data exactly as it travels (the envelope serialises it so).
            self.adapter.validate_json(json.dumps(data), strict=True)
        except ValidationError as exc:
            problems = [
                f"{self.type} v{self.version}: data.{'.'.join(str(p) for p in error['loc'])}: "
                f"{error['msg']}"
                + (f" (got {error['input']!r})" if error["type"] != "missing" else "")
                for error in exc.errors(include_url=False)
            ]
            raise InvalidEventData(problems) from None


class Registry:
    def __init__(self) -> None:
        self._declarations: dict[tuple[str, int], Declaration] = {}
        self._loaded = False

    def add(self, declaration: Declaration) -> None:
        ident = (declaration.type, declaration.version)
        existing = self._declarations.get(ident)
        if existing is not None and existing.payload is not declaration.payload:
            raise ValueError(f"{declaration.type} v{declaration.version} is declared twice")
        self._declarations[ident] = declaration

    def load(self) -> None:
        """Import every service's declaration module (once)."""
        if not self._loaded:
            for service in SERVICES:
                import_module(f"cotask_common.contracts.{service}")
            self._loaded = True

    def all(self) -> list[Declaration]:
        self.load()
        return sorted(self._declarations.values(), key=lambda d: (d.type, d.version))

    def types(self) -> list[str]:
        return sorted({d.type for d in self.all()})

    def versions(self, event_type: str) -> list[int]:
        self.load()
        return sorted(v for (t, v) in self._declarations if t == event_type)

    def latest(self, event_type: str) -> int:
        versions = self.versions(event_type)
        if not versions:
            raise UndeclaredEvent([_undeclared(event_type, None)])
        return versions[-1]

    def get(self, event_type: str, version: int | None = None) -> Declaration:
        self.load()
        if version is None:
            version = self.latest(event_type)
        declaration = self._declarations.get((event_type, version))
        if declaration is None:
            raise UndeclaredEvent([_undeclared(event_type, version, self.versions(event_type))])
        return declaration

    @contextmanager
    def temporarily(self, *declarations: Declaration) -> Iterator[None]:
        """Tests: extra declarations for the duration."""
        self.load()
        saved = dict(self._declarations)
        try:
            for declaration in declarations:
                self.add(declaration)
            yield
        finally:
            self._declarations = saved


registry = Registry()


def _undeclared(event_type: str, version: int | None, known: list[int] | None = None) -> str:
    if known:
        return (
            f"{event_type} v{version} is not declared (declared: "
            f"{', '.join(f'v{v}' for v in known)})"
        )
    return (
        f"{event_type} is not declared: declare it in cotask_common/contracts/"
        f"{event_type.split('.', 1)[0]}.py (see docs/events.md)"
    )


def declare(
    type: str,
    *,
    key: str,
    version: int = 1,
    consumers: Mapping[str, str] | None = None,
    actor: str = "",
) -> Callable[[P], P]:
    """Register the decorated TypedDict as the data of `type` version `version`:

    @declare("social.follow.created", version=2, key="the follow's id",
             consumers={"notifications": "tells the page owner"})
    class FollowCreatedV2(FollowData):
        \"\"\"A follow became active.\"\"\"
        via: Literal["direct", "approval"]
        \"\"\"how it started\"\"\"
    """
    if not TYPE_PATTERN.match(type):
        raise ValueError(f"{type!r} is not '<service>.<aggregate>.<verb>'")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{type}: version must be a positive integer, got {version!r}")

    def decorator(payload: P) -> P:
        with_config(PAYLOAD_CONFIG)(payload)
        declaration = Declaration(
            type=type,
            version=version,
            payload=payload,
            key=key,
            consumers=dict(consumers or {}),
            actor=actor,
        )
        declaration.adapter  # noqa: B018 - build the validator now: a bad annotation fails at import
        registry.add(declaration)
        return payload

    return decorator


def validate_event_data(*, type: str, version: int, data: Any) -> None:
    """Raise UndeclaredEvent or InvalidEventData (both EventValidationError) unless `data` is
    a valid payload of `type` version `version`."""
    registry.get(type, version).validate(data)


# -- reading declarations (docs, examples) ---------------------------------------------------


def payload_bases(payload: type) -> list[type]:
    """The TypedDict classes `payload` extends, nearest first."""
    found: list[type] = []
    for base in getattr(payload, "__orig_bases__", ()):
        if isinstance(base, type) and hasattr(base, "__required_keys__"):
            found.append(base)
            found.extend(b for b in payload_bases(base) if b not in found)
    return found


def field_docs(payload: type) -> dict[str, str]:
    """Each field's description: the string literal right below its annotation (as for
    dataclass attributes), looked up along the TypedDict bases."""
    docs: dict[str, str] = {}
    for cls in reversed([payload, *payload_bases(payload)]):
        docs.update(_attribute_docstrings(cls))
    return docs


def _attribute_docstrings(cls: type) -> dict[str, str]:
    return _module_docstrings(cls.__module__).get(cls.__qualname__, {})


@functools.cache
def _module_docstrings(module_name: str) -> dict[str, dict[str, str]]:
    """{class name: {field: docstring}} for the module's top-level classes (parsed once)."""
    try:
        source = inspect.getsource(sys.modules[module_name])
    except (KeyError, OSError, TypeError):
        return {}
    found: dict[str, dict[str, str]] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs = found.setdefault(node.name, {})
        for current, following in itertools.pairwise(node.body):
            if (
                isinstance(current, ast.AnnAssign)
                and isinstance(current.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[current.target.id] = inspect.cleandoc(following.value.value)
    return found
