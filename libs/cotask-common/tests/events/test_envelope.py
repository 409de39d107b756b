import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from cotask_common.events.envelope import Event, EventValidationError, topic_for


def valid_dict(**overrides: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "id": "0193a3c1-7a10-7cc0-8a3e-6f1f2a9c0b11",
        "type": "social.post.created",
        "version": 1,
        "occurred_at": "2025-01-02T03:04:05.123456Z",
        "producer": "social",
        "key": "0193a3c1-7a10-7cc0-8a3e-000000000001",
        "actor": "0193a3c1-7a10-7cc0-8a3e-000000000002",
        "data": {"title": "Hello"},
    }
    raw.update(overrides)
    return raw


def test_new_event_has_a_uuid7_id_utc_time_and_derived_topic() -> None:
    user_id = uuid.uuid4()
    event = Event.new(type="social.post.created", key=user_id, data={"n": 1}, actor=user_id)
    assert event.id.version == 7
    assert event.occurred_at.tzinfo is not None
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.topic == "social.post"
    assert event.producer == "social"  # defaults to the type's service
    assert event.key == str(user_id)
    assert event.actor == str(user_id)
    assert event.version == 1


def test_json_round_trip_is_lossless() -> None:
    event = Event.new(type="tasks.task.completed", key="k1", data={"a": [1, "x", None]})
    raw = event.to_json()
    assert isinstance(raw, bytes)
    assert Event.from_json(raw) == event
    assert set(json.loads(raw)) == {
        "id",
        "type",
        "version",
        "occurred_at",
        "producer",
        "key",
        "actor",
        "data",
    }


def test_occurred_at_is_serialized_as_utc_iso8601() -> None:
    local = datetime(2025, 1, 2, 5, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    event = Event(
        id=uuid.uuid4(),
        type="auth.user.registered",
        version=1,
        occurred_at=local,
        producer="auth",
        key="u1",
        actor=None,
        data={},
    )
    assert event.to_dict()["occurred_at"] == "2025-01-02T03:04:05.123456Z"
    parsed = Event.from_dict(valid_dict(occurred_at="2025-01-02T05:04:05+02:00"))
    assert parsed.occurred_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_data_is_normalized_to_plain_json() -> None:
    some_id = uuid.uuid4()
    event = Event.new(type="habits.habit.created", key="h1", data={"owner": some_id})
    assert event.data == {"owner": str(some_id)}


def test_from_dict_accepts_unknown_fields_for_forward_compatibility() -> None:
    assert Event.from_dict(valid_dict(trace="abc")).type == "social.post.created"


@pytest.mark.parametrize(
    "bad_type",
    [
        "social.post",
        "Social.post.created",
        "social.post.created.extra",
        "social..created",
        "social.post-x.created",
        "",
        "1social.post.created",
    ],
)
def test_type_must_be_service_aggregate_verb(bad_type: str) -> None:
    with pytest.raises(
        EventValidationError, match=re.escape("type must look like '<service>.<aggregate>.<verb>'")
    ):
        Event.from_dict(valid_dict(type=bad_type))
    with pytest.raises(EventValidationError):
        topic_for(bad_type)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"version": 0}, "version must be a positive integer"),
        ({"version": "1"}, "version must be a positive integer"),
        ({"version": True}, "version must be a positive integer"),
        ({"id": "not-a-uuid"}, "id must be a UUID"),
        ({"occurred_at": "2025-01-02T03:04:05"}, "occurred_at must carry a time zone"),
        ({"occurred_at": "yesterday"}, "occurred_at must be ISO 8601"),
        ({"occurred_at": 1700000000}, "occurred_at must be an ISO 8601 string"),
        ({"producer": ""}, "producer must be a service name"),
        ({"key": ""}, "key must be a non-empty string"),
        ({"key": 42}, "key must be a non-empty string"),
        ({"key": "x" * 256}, "at most 255 characters"),
        ({"actor": 7}, "actor must be a user id string or null"),
        ({"data": [1, 2]}, "data must be a JSON object, got list"),
        ({"data": None}, "data must be a JSON object, got null"),
    ],
)
def test_invalid_fields_are_named_in_the_error(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(EventValidationError, match=message):
        Event.from_dict(valid_dict(**overrides))


def test_every_missing_field_is_reported_at_once() -> None:
    raw = valid_dict()
    del raw["key"], raw["data"]
    with pytest.raises(EventValidationError) as caught:
        Event.from_dict(raw)
    assert caught.value.problems == ["missing field 'key'", "missing field 'data'"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "payload is not JSON"),
        (b"\xff\xfe\x00", "payload is not"),
        (b"[1, 2]", "an event must be a JSON object, got list"),
        (b"null", "an event must be a JSON object, got null"),
    ],
)
def test_unparseable_payloads_are_rejected(payload: bytes, message: str) -> None:
    with pytest.raises(EventValidationError, match=message):
        Event.from_json(payload)


def test_unserializable_data_is_rejected_on_creation() -> None:
    with pytest.raises(TypeError):
        Event.new(type="social.post.created", key="k", data={"x": object()})


def test_event_is_immutable() -> None:
    event = Event.new(type="social.post.created", key="k", data={})
    with pytest.raises(AttributeError):
        event.type = "social.post.deleted"  # type: ignore[misc]
