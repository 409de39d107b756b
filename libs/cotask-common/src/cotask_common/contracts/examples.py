"""Valid example payloads built from the declarations, so a consumer's tests feed its handlers
what the producer declares rather than a hand-written dict that may drift from it."""

from __future__ import annotations

import types
import typing
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, NotRequired, Required

from pydantic import AwareDatetime
from pydantic.fields import FieldInfo

from cotask_common.contracts.registry import registry


def example_payload(
    type: str, version: int | None = None, *, optional: bool = True, **overrides: Any
) -> dict[str, Any]:
    """A valid `data` for `type` (the latest version unless `version` is given): every field
    (the optional ones too unless `optional=False`) from its annotation, or from the first of
    its `Field(examples=[...])`; `overrides` replace fields (and are validated with the rest).
    The result is checked against the declaration, so it is always publishable."""
    declaration = registry.get(type, version)
    data = _typed_dict(declaration.payload, optional=optional)
    data.update(overrides)
    declaration.validate(data)
    return data


def _typed_dict(payload: Any, *, optional: bool) -> dict[str, Any]:
    hints = typing.get_type_hints(payload, include_extras=True)
    required = payload.__required_keys__
    return {name: _value(hint) for name, hint in hints.items() if optional or name in required}


def _value(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (NotRequired, Required):
        return _value(args[0])
    if origin is typing.Annotated:
        for meta in args[1:]:
            if isinstance(meta, FieldInfo) and meta.examples:
                return meta.examples[0]
        return _value(args[0])
    if origin is Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        # Prefer a real value over null: handlers see the richer case.
        real = [a for a in args if a is not type(None)]
        return _value(real[0]) if real else None
    if origin is list:
        return [_value(args[0])]
    if origin is dict:
        return {"example": _value(args[1])}
    if hint is uuid.UUID:
        return str(uuid.uuid4())
    if hint is bool:
        return False
    if hint is int:
        return 1
    if hint is float:
        return 1.5
    if hint is str:
        return "example"
    if hint is AwareDatetime or hint is datetime:
        return (datetime.now(UTC) + timedelta(days=1)).isoformat()
    if hint is date:
        return datetime.now(UTC).date().isoformat()
    if hasattr(hint, "__required_keys__"):
        return _typed_dict(hint, optional=True)
    raise TypeError(f"no example for {hint!r}: give the field Field(examples=[...])")
