"""JSON bodies are checked against the types the documents declare.

DRF coerces: `"1"` or `true` is taken for an integer, `1`, `"true"` or `"on"` for a boolean, a
number for a text. A form or a query string can only carry text, so that is right there; a JSON
body can say what it means, and the OpenAPI documents (generated from the same fields) promise
`integer`, `boolean`, `number`, `string`. So, for data that is not a form or a query string
(`QueryDict`), these fields take only their JSON type and answer anything else with their own
`invalid` error (a 400 naming the field, in the caller's language). A decimal is documented as
a string with a pattern (`decimal_pattern`: exact, where a JSON number would be rounded through
a float), so in JSON it is that string only: a number is a 400 `invalid` saying to send a string,
and a string the pattern refuses (`"1e2"`, `"+2"`, `" 2"`) is one too. And a form or query value
given empty is checked when its type is not text (see `_strict_empty_values`). Installed once
for every service by the kit's app (`CotaskCommonConfig.ready`): no serializer needs its own
fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from rest_framework import fields
from rest_framework.exceptions import ValidationError

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


def decimal_pattern(field: fields.DecimalField, *, signed: bool = False) -> str | None:
    """The text a decimal field takes: a '-' unless its `min_value` is 0 or more, at most its
    whole digits and decimal places, at least one digit (before or after the point). `None`
    when the field does not bound its digits. The documents state this pattern (`openapi`)."""
    whole, places = field.max_whole_digits, field.decimal_places
    if not whole or places is None:
        return None
    sign = "" if field.min_value is not None and field.min_value >= 0 and not signed else "-?"
    if not places:
        return rf"^{sign}\d{{1,{whole}}}$"
    return rf"^{sign}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"


def _strict_decimal() -> None:
    original = fields.DecimalField.to_internal_value

    def to_internal_value(self: fields.DecimalField, data: Any) -> Any:
        if _is_text_only(self):
            return original(self, data)
        if not isinstance(data, str):
            raise ValidationError(
                gettext('Send the decimal as a string, e.g. "2.5".'), code="invalid"
            )
        # DRF's own message first (too many digits, below the minimum), then the document's
        # form of the text.
        value = original(self, data)
        pattern = decimal_pattern(self)
        if pattern and not re.match(pattern, data):
            # Below a minimum of 0: DRF's `min_value` validator says so (`-0` is no such value).
            if value < 0 and re.match(decimal_pattern(self, signed=True) or "", data):
                return value
            self.fail("invalid")
        return value

    to_internal_value.__doc__ = original.__doc__
    fields.DecimalField.to_internal_value = to_internal_value  # type: ignore[method-assign,assignment]

    # DRF reads a blank decimal as null when the field allows null; JSON has its own null, so
    # there "" is a malformed decimal like any other text its pattern refuses.
    original_empty = fields.DecimalField.validate_empty_values

    def validate_empty_values(self: fields.DecimalField, data: Any) -> Any:
        if _is_text_only(self):
            return original_empty(self, data)
        return fields.Field.validate_empty_values(self, data)

    fields.DecimalField.validate_empty_values = validate_empty_values  # type: ignore[method-assign,assignment]


def install() -> None:
    """Make DRF's integer, number, decimal, boolean and text fields strict for JSON data, and an
    empty typed form or query value a value (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _strict_empty_values()
    _strict(fields.IntegerField, _integer)
    _strict(fields.FloatField, _number)
    _strict(fields.BooleanField, _boolean)
    _strict(fields.CharField, _text)
    _strict_decimal()
