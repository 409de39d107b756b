"""JSON bodies are checked against the types the documents declare.

DRF coerces: `"1"` or `true` is taken for an integer, `1`, `"true"` or `"on"` for a boolean, a
number for a text. A form or a query string can only carry text, so that is right there; a JSON
body can say what it means, and the OpenAPI documents (generated from the same fields) promise
`integer`, `boolean`, `number`, `string`. So, for data that is not a form or a query string
(`QueryDict`), these fields take only their JSON type and answer anything else with their own
`invalid` error (a 400 naming the field, in the caller's language). And a form or query value
given empty is checked when its type is not text (see `_strict_empty_values`). Installed once
for every service by the kit's app (`CotaskCommonConfig.ready`): no serializer needs its own
fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.datastructures import MultiValueDict
from rest_framework import fields

_INSTALLED = False


def _is_text_only(field: fields.Field) -> bool:
    """Whether the field reads a form or a query string (values are text by nature)."""
    data = getattr(field.root, "initial_data", None)
    return isinstance(data, MultiValueDict)


def _integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _strict(field_class: type[fields.Field], accepts: Callable[[Any], bool]) -> None:
    original = field_class.to_internal_value

    def to_internal_value(self: fields.Field, data: Any) -> Any:
        if not accepts(data) and not _is_text_only(self):
            self.fail("invalid")
        return original(self, data)

    to_internal_value.__doc__ = original.__doc__
    field_class.to_internal_value = to_internal_value  # type: ignore[method-assign]


def _strict_empty_values() -> None:
    """A typed parameter given empty (`?year=`, `?day=`, `?id=`) is checked like any value, not
    read as absent: DRF treats an empty optional form value as left out, so `?year=` passed where
    the document says an integer (a date, a UUID, one of some names). It is a 400 naming the
    parameter now. A text field keeps reading it as absent (its document admits the empty
    string) unless it has a `min_length`, as do fields that allow null, and a parameter left
    out is still absent."""
    original = fields.Field.get_value

    def get_value(self: fields.Field, dictionary: Any) -> Any:
        if (
            isinstance(dictionary, MultiValueDict)
            and (not isinstance(self, fields.CharField) or getattr(self, "min_length", None))
            and dictionary.get(self.field_name) == ""
            and not self.required
            and not self.allow_null
            and not getattr(self, "allow_blank", False)
        ):
            return ""
        return original(self, dictionary)

    fields.Field.get_value = get_value  # type: ignore[method-assign]


def install() -> None:
    """Make DRF's integer, number, boolean and text fields strict for JSON data, and an empty
    typed form or query value a value (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _strict_empty_values()
    _strict(fields.IntegerField, _integer)
    _strict(fields.FloatField, _number)
    _strict(fields.BooleanField, _boolean)
    _strict(fields.CharField, _text)
