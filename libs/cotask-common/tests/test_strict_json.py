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
