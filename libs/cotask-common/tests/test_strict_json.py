"""JSON data takes the types the documents declare; forms and query strings stay text
(cotask_common.strict_json, installed by the kit's app)."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from rest_framework import serializers


class _Input(serializers.Serializer):
    count = serializers.IntegerField(required=False)
    ratio = serializers.FloatField(required=False)
    done = serializers.BooleanField(required=False)
    title = serializers.CharField(required=False)
    email = serializers.EmailField(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


def _errors(data: object) -> dict:
    checked = _Input(data=data)
    assert not checked.is_valid()
    return checked.errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", "1"),
        ("count", True),
        ("count", 1.5),
        ("ratio", "0.5"),
        ("ratio", False),
        ("done", "true"),
        ("done", 1),
        ("done", 0),
        ("title", 12),
        ("title", True),
        ("email", 5),
    ],
)
def test_a_json_value_of_another_type_is_refused_naming_the_field(field: str, value: object):
    errors = _errors({field: value})
    assert list(errors) == [field]
    assert errors[field][0].code == "invalid"


def test_a_list_item_of_another_type_is_refused():
    assert _errors({"tags": ["ok", 3]})["tags"][1][0].code == "invalid"


def test_json_values_of_the_declared_types_are_taken():
    checked = _Input(
        data={"count": 2, "ratio": 1, "done": False, "title": "x", "email": "a@example.com"}
    )
    assert checked.is_valid(), checked.errors
    assert checked.validated_data["count"] == 2
    assert checked.validated_data["done"] is False
    assert _Input(data={"count": 3.0}).is_valid()  # JSON Schema's integer: no fraction


def test_forms_and_query_strings_stay_text():
    checked = _Input(data=QueryDict("count=1&ratio=0.5&done=true&title=12&tags=a&tags=7"))
    assert checked.is_valid(), checked.errors
    assert checked.validated_data["count"] == 1
    assert checked.validated_data["done"] is True
    assert checked.validated_data["tags"] == ["a", "7"]


class _Query(serializers.Serializer):
    count = serializers.IntegerField(required=False)
    done = serializers.BooleanField(required=False)
    day = serializers.DateField(required=False)
    id = serializers.UUIDField(required=False)
    kind = serializers.ChoiceField(choices=["a", "b"], required=False)
    title = serializers.CharField(required=False)
    sha256 = serializers.CharField(required=False, min_length=64, max_length=64)


@pytest.mark.parametrize("field", ["count", "done", "day", "id", "kind", "sha256"])
def test_a_typed_query_value_given_empty_is_refused_naming_it(field: str):
    checked = _Query(data=QueryDict(f"{field}="))
    assert not checked.is_valid()
    assert list(checked.errors) == [field]


def test_empty_text_and_values_left_out_stay_absent():
    checked = _Query(data=QueryDict("title="))
    assert checked.is_valid(), checked.errors
    assert "title" not in checked.validated_data and "count" not in checked.validated_data


class _Money(serializers.Serializer):
    price = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False)
    change = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)


@pytest.mark.parametrize("value", [2.5, 2, True, [1], {"a": 1}])
def test_a_decimal_in_json_is_a_string_and_a_number_is_refused_naming_it(value: object):
    checked = _Money(data={"price": value})
    assert not checked.is_valid()
    assert list(checked.errors) == ["price"]
    assert checked.errors["price"][0].code == "invalid"
    assert checked.errors["price"][0] == 'Send the decimal as a string, e.g. "2.5".'


def test_a_blank_decimal_in_json_is_no_null():
    class _Nullable(serializers.Serializer):
        price = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)

    for blank in ("", "  "):
        checked = _Nullable(data={"price": blank})
        assert not checked.is_valid()
        assert checked.errors["price"][0].code == "invalid"
    checked = _Nullable(data={"price": None})
    assert checked.is_valid() and checked.validated_data["price"] is None
    checked = _Nullable(data=QueryDict("price="))  # a form's blank stays DRF's null
    assert checked.is_valid() and checked.validated_data["price"] is None


@pytest.mark.parametrize("value", ["1e2", "+2", " 2.5", "-0", "0000001.5"])
def test_a_decimal_text_its_pattern_refuses_is_refused(value: str):
    checked = _Money(data={"price": value})
    assert not checked.is_valid()
    assert checked.errors["price"][0].code == "invalid"


def test_drf_keeps_its_own_message_for_a_decimal_out_of_bounds():
    checked = _Money(data={"price": "-1", "change": "12345.5"})
    assert not checked.is_valid()
    assert checked.errors["price"][0].code == "min_value"
    assert checked.errors["change"][0].code == "max_whole_digits"


@pytest.mark.parametrize("value", ["2.5", "2", "2.", ".5", "9999.99", "2.5\n"])
def test_a_decimal_text_its_pattern_takes_is_taken(value: str):
    checked = _Money(data={"price": value, "change": "-" + value.strip()})
    assert checked.is_valid(), checked.errors


def test_a_decimal_in_a_form_stays_text():
    checked = _Money(data=QueryDict("price=2.5&change=-1"))
    assert checked.is_valid(), checked.errors
    assert str(checked.validated_data["price"]) == "2.50"


def test_a_decimal_message_is_translated():
    from django.utils import translation

    for language in ("ru", "uk"):
        with translation.override(language):
            checked = _Money(data={"price": 1})
            assert not checked.is_valid()
            assert "2.5" in checked.errors["price"][0]
            assert not checked.errors["price"][0].startswith("Send the decimal")
