"""The kit's OpenAPI rules (cotask_common.openapi), on views made for the test."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cotask_common.openapi import NOTES_SEPARATOR, error_response
from cotask_common.openapi_examples import add_examples
from cotask_common.testing.openapi import document_problems, example_problems
from cotask_common.throttling import AnonymousRateThrottle, NamedLimitThrottling


class ThingOutput(serializers.Serializer):
    id = serializers.UUIDField()
    at = serializers.TimeField(format="%H:%M")


class Throttle(AnonymousRateThrottle):
    scope = "things"
    rate_setting = "THINGS_RATE"


class ThingsApi(NamedLimitThrottling, APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [Throttle]

    @extend_schema(responses=ThingOutput(many=True), summary="The things")
    def get(self, request: Any) -> Response:
        return Response()


class ThingApi(APIView):
    """One thing, of the signed-in caller."""

    @extend_schema(responses=ThingOutput, summary="A thing")
    def get(self, request: Any, thing_id: str) -> Response:
        return Response()

    @extend_schema(responses=ThingOutput, summary="Forget a thing, answering what it was")
    def delete(self, request: Any, thing_id: str) -> Response:
        return Response()


def _document() -> dict[str, Any]:
    patterns = [
        path("api/kit/things/", ThingsApi.as_view()),
        path("api/kit/things/<str:thing_id>/", ThingApi.as_view()),
    ]
    return SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)


def test_operations_get_names_tags_errors_and_shared_parts() -> None:
    document = _document()
    assert document_problems(document, service="kit") == []
    listing = document["paths"]["/api/kit/things/"]["get"]
    assert listing["operationId"] == "kit_things_list"
    assert listing["tags"] == ["things"]
    # A mixin's docstring is not the operation's description.
    assert "mixin" not in listing["description"].lower()
    assert listing["description"].startswith("No token needed.")
    # Said as `[]`, the form generated clients read as "no token" (not drf-spectacular's `[{}]`).
    assert listing["security"] == []
    refs = [p.get("$ref") for p in listing["parameters"]]
    assert "#/components/parameters/Cursor" in refs
    assert "#/components/parameters/AcceptLanguage" in refs
    assert listing["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}
    assert "401" not in listing["responses"]  # no token is checked
    schema = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("PaginatedThingOutputList")

    one = document["paths"]["/api/kit/things/{thing_id}/"]
    assert one["get"]["operationId"] == "kit_things_retrieve"
    assert one["get"]["description"].startswith("One thing, of the signed-in caller.")
    assert NOTES_SEPARATOR in one["get"]["description"]
    assert set(one["get"]["responses"]) == {"200", "401", "403", "404"}
    # A DELETE that answers a body is a 200, not drf-spectacular's 204.
    assert "200" in one["delete"]["responses"] and "204" not in one["delete"]["responses"]
    assert one["delete"]["operationId"] == "kit_things_destroy"
    thing = document["components"]["schemas"]["ThingOutput"]["properties"]["at"]
    assert thing["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"


def test_the_checker_names_what_is_missing() -> None:
    document = _document()
    operation = document["paths"]["/api/kit/things/{thing_id}/"]["get"]
    del operation["summary"]
    operation["responses"].pop("404")
    document["paths"]["/api/kit/things/"]["get"]["operationId"] = "kit_things_retrieve"
    problems = document_problems(document, service="kit")
    assert "GET /api/kit/things/{thing_id}/: no summary" in problems
    assert "GET /api/kit/things/{thing_id}/: answer 404 is not documented" in problems
    assert "operationId 'kit_things_retrieve' is used 2 times" in problems


class RenameInput(serializers.Serializer):
    name = serializers.CharField()


class WholeRenameInput(serializers.Serializer):
    whole_patch = True
    name = serializers.CharField()


class PartialApi(APIView):
    @extend_schema(request=RenameInput, responses=ThingOutput, summary="Rename")
    def patch(self, request: Any) -> Response:
        return Response()


class WholeApi(APIView):
    @extend_schema(request=WholeRenameInput, responses=ThingOutput, summary="Rename")
    def patch(self, request: Any) -> Response:
        return Response()


def test_a_patch_is_partial_unless_its_serializer_takes_the_whole_body() -> None:
    patterns = [
        path("api/kit/partial/", PartialApi.as_view()),
        path("api/kit/whole/", WholeApi.as_view()),
    ]
    document = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    schemas = document["components"]["schemas"]

    def body(url: str) -> dict[str, Any]:
        ref = document["paths"][url]["patch"]["requestBody"]["content"]["application/json"]
        return schemas[ref["schema"]["$ref"].rsplit("/", 1)[1]]

    assert "required" not in body("/api/kit/partial/")
    assert body("/api/kit/whole/")["required"] == ["name"]
    assert document["paths"]["/api/kit/whole/"]["patch"]["requestBody"]["required"] is True


class OrderInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


class OrderApi(APIView):
    @extend_schema(request=OrderInput, responses=ThingOutput, summary="Order")
    def put(self, request: Any) -> Response:
        return Response()


def test_a_list_that_may_not_be_empty_says_so() -> None:
    patterns = [path("api/kit/order/", OrderApi.as_view())]
    document = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    properties = document["components"]["schemas"]["OrderInputRequest"]["properties"]
    assert properties["ids"]["minItems"] == 1
    assert "minItems" not in properties["tags"]


class PriceInput(serializers.Serializer):
    price = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0)
    change = serializers.DecimalField(max_digits=6, decimal_places=2)


class PriceApi(APIView):
    @extend_schema(request=PriceInput, responses=ThingOutput, summary="Price")
    def put(self, request: Any) -> Response:
        return Response()


def test_a_decimal_that_may_not_be_negative_says_so() -> None:
    patterns = [path("api/kit/price/", PriceApi.as_view())]
    document = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    properties = document["components"]["schemas"]["PriceInputRequest"]["properties"]
    assert not properties["price"]["pattern"].startswith("^-")
    assert properties["change"]["pattern"].startswith("^-?")


def test_a_decimal_pattern_needs_a_digit_as_drf_does() -> None:
    """ "" and "." are no number (DRF refuses them), so the document does not offer them."""
    import re

    patterns = [path("api/kit/price/", PriceApi.as_view())]
    document = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    properties = document["components"]["schemas"]["PriceInputRequest"]["properties"]
    for name in ("price", "change"):
        pattern = re.compile(properties[name]["pattern"])
        assert not pattern.match("") and not pattern.match(".")
        assert all(pattern.match(good) for good in ("5", "5.", ".5", "12.34"))
    assert re.match(properties["change"]["pattern"], "-1.5")
    assert not re.match(properties["price"]["pattern"], "-1.5")


class StepInput(serializers.Serializer):
    title = serializers.CharField()


class StepsInput(serializers.Serializer):
    steps = StepInput(many=True, max_length=3, min_length=1)  # type: ignore[call-arg]


class StepsApi(APIView):
    @extend_schema(request=StepsInput, responses=ThingOutput, summary="Steps")
    def put(self, request: Any) -> Response:
        return Response()


def test_a_nested_list_states_its_bounds() -> None:
    patterns = [path("api/kit/steps/", StepsApi.as_view())]
    document = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    steps = document["components"]["schemas"]["StepsInputRequest"]["properties"]["steps"]
    assert (steps["minItems"], steps["maxItems"]) == (1, 3)


class NoteInput(serializers.Serializer):
    title = serializers.CharField(max_length=5)
    colour = serializers.RegexField(r"^#[0-9A-F]{6}$", required=False)
    secret = serializers.CharField(write_only=True)


class NoteOutput(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField()
    secret = serializers.CharField(write_only=True)
    due = serializers.DateTimeField(allow_null=True)
    email = serializers.EmailField()
    at = serializers.TimeField(format="%H:%M")
    parent = ThingOutput(allow_null=True)


class NotesApi(APIView):
    @extend_schema(
        request=NoteInput,
        responses={201: NoteOutput, 409: error_response("The title is taken (`taken`)")},
        summary="Write a note",
    )
    def post(self, request: Any) -> Response:
        return Response()


class OwnExampleApi(APIView):
    @extend_schema(
        request=NoteInput,
        responses={201: NoteOutput},
        summary="Write a note, as shown",
        examples=[
            OpenApiExample("Shopping", value={"title": "Milk", "secret": "s"}, request_only=True)
        ],
    )
    def post(self, request: Any) -> Response:
        return Response()


def _examples_document() -> dict[str, Any]:
    patterns = [
        path("api/kit/things/", ThingsApi.as_view()),
        path("api/kit/things/<str:thing_id>/", ThingApi.as_view()),
        path("api/kit/notes/", NotesApi.as_view()),
        path("api/kit/own/", OwnExampleApi.as_view()),
    ]
    return SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)


def _example(media: dict[str, Any]) -> Any:
    return next(iter(media["examples"].values()))["value"]


def test_every_body_and_answer_gets_a_valid_example() -> None:
    document = _examples_document()
    assert example_problems(document) == []
    notes = document["paths"]["/api/kit/notes/"]["post"]
    request = _example(notes["requestBody"]["content"]["application/json"])
    # The required fields, within their bounds; no readOnly field.
    assert set(request) == {"title", "secret"} and len(request["title"]) <= 5
    answer = _example(notes["responses"]["201"]["content"]["application/json"])
    assert "secret" not in answer  # writeOnly
    assert answer["email"] == "ada@example.com" and answer["at"] == "09:00"
    assert answer["due"].endswith("Z")
    # The 400 names the first required body field; a write's 403 is a ban.
    bad = _example(notes["responses"]["400"]["content"]["application/json"])
    assert bad["code"] == "invalid" and list(bad["fields"]) == ["title"]
    banned = _example(notes["responses"]["403"]["content"]["application/json"])
    assert banned["code"] == "user_banned"
    # An answer the view described itself says that case, with the code it names.
    taken = _example(notes["responses"]["409"]["content"]["application/json"])
    assert taken == {"code": "taken", "message": "The title is taken."}
    # A page links its neighbours, on the operation's own path; a 400 of a list names a query
    # parameter; the shared answers carry their one example.
    listing = document["paths"]["/api/kit/things/"]["get"]["responses"]
    page = _example(listing["200"]["content"]["application/json"])
    assert "/api/kit/things/?cursor=" in page["next"] and page["previous"]
    assert list(_example(listing["400"]["content"]["application/json"])["fields"]) == ["cursor"]
    throttled = document["components"]["responses"]["TooManyRequests"]["content"]
    assert _example(throttled["application/json"])["retry_after"] > 0
    one = document["paths"]["/api/kit/things/{thing_id}/"]["get"]["responses"]
    assert _example(one["403"]["content"]["application/json"])["code"] == "permission_denied"


def test_a_views_own_example_wins() -> None:
    document = _examples_document()
    body = document["paths"]["/api/kit/own/"]["post"]["requestBody"]["content"]
    assert list(body["application/json"]["examples"]) == ["Shopping"]


def test_the_example_checker_fails_on_a_missing_or_invalid_example() -> None:
    document = _examples_document()
    notes = document["paths"]["/api/kit/notes/"]["post"]
    del notes["requestBody"]["content"]["application/json"]["examples"]
    created = notes["responses"]["201"]["content"]["application/json"]
    _example(created)["due"] = "tomorrow"  # not a date-time
    _example(created)["id"] = 7
    one = document["paths"]["/api/kit/things/{thing_id}/"]["get"]["responses"]["200"]
    _example(one["content"]["application/json"])["at"] = "9 o'clock"  # not HH:MM
    document["components"]["responses"]["NotFound"]["content"]["application/json"].pop("examples")
    problems = example_problems(document)
    assert "POST /api/kit/notes/: request application/json: no example" in problems
    assert any(p.startswith("POST /api/kit/notes/: answer 201") and "at due" in p for p in problems)
    assert any(p.startswith("POST /api/kit/notes/: answer 201") and "at id" in p for p in problems)
    assert any(
        "GET /api/kit/things/{thing_id}/: answer 200" in p and "at at" in p for p in problems
    )
    assert "GET /api/kit/things/{thing_id}/: answer 404 application/json: no example" in problems


def test_nullable_is_or_null_for_the_example_checker() -> None:
    document = _examples_document()
    created = document["paths"]["/api/kit/notes/"]["post"]["responses"]["201"]
    _example(created["content"]["application/json"]).update(due=None, parent=None)
    _example(created["content"]["application/json"])["title"] = None  # not nullable
    problems = example_problems(document)
    assert len(problems) == 1 and "at title" in problems[0], problems


def test_made_examples_honour_patterns_bounds_choices_and_recursion() -> None:
    """Each keyword the generator reads, on a document written for it: every example is valid."""
    node = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": r"\S", "minLength": 3, "maxLength": 8},
            "color": {"type": "string", "pattern": r"^\s*#[0-9A-Fa-f]{6}\s*$"},
            "handle": {"type": "string", "pattern": r"^\s*@?[A-Za-z0-9_]{3,40}\s*$"},
            "at": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "price": {"type": "string", "pattern": r"^(?:\d{1,3}(?:\.\d{0,1})?|\.\d{1,1})$"},
            "ratio": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMinimum": True},
            "days": {
                "type": "array",
                "items": {"type": "string", "enum": ["mon", "tue", "wed"]},
                "minItems": 2,
                "uniqueItems": True,
            },
            "pending_email": {
                "oneOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}]
            },
            "parent": {"allOf": [{"$ref": "#/components/schemas/Node"}], "nullable": True},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "secret": {"type": "string", "writeOnly": True},
            "id": {"type": "string", "format": "uuid", "readOnly": True},
        },
        "required": ["name", "color", "handle", "at", "price", "ratio", "days", "secret"],
    }
    document: dict[str, Any] = {
        "components": {"schemas": {"Node": node}},
        "paths": {
            "/nodes/": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                        }
                    },
                    "responses": {
                        "201": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Node"}
                                }
                            }
                        }
                    },
                }
            }
        },
    }
    add_examples(document)
    assert example_problems(document) == []
    operation = document["paths"]["/nodes/"]["post"]
    request = _example(operation["requestBody"]["content"]["application/json"])
    assert "id" not in request and "parent" not in request  # readOnly; not required
    assert request["ratio"] > 0 and len(set(request["days"])) == 2
    answer = _example(operation["responses"]["201"]["content"]["application/json"])
    assert "secret" not in answer
    # The recursion stops where the schema comes back: a null parent, no children.
    assert answer["parent"] is None and answer["children"] == []
