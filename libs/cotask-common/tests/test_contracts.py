"""Event contracts as code: the registry, `publish_event`'s refusals, examples, and the generated
catalogue (docs/events.md)."""

from __future__ import annotations

import subprocess
import sys
import typing
import uuid
from pathlib import Path
from typing import Literal, NotRequired

import pytest
from django.db import transaction
from pydantic import with_config
from typing_extensions import TypedDict

from cotask_common.contracts import (
    SERVICES,
    Declaration,
    InvalidEventData,
    UndeclaredEvent,
    example_payload,
    registry,
    validate_event_data,
)
from cotask_common.contracts.catalogue import render
from cotask_common.contracts.registry import PAYLOAD_CONFIG
from cotask_common.events.envelope import EventValidationError
from cotask_common.events.models import OutboxEvent
from cotask_common.events.outbox import publish_event
from cotask_common.events.testing import example_event

ROOT = Path(__file__).resolve().parents[3]
EVENTS_MD = ROOT / "docs" / "events.md"


@with_config(PAYLOAD_CONFIG)
class NoteRenamed(TypedDict):
    id: uuid.UUID
    title: str
    words: int
    tone: Literal["calm", "loud"]
    tags: NotRequired[list[str]]


@with_config(PAYLOAD_CONFIG)
class NoteRenamedV2(TypedDict):
    id: uuid.UUID
    title: str


@pytest.fixture
def note_renamed() -> typing.Iterator[str]:
    """`kit.note.renamed`, declared in v1 and v2 for the test (as a service module would)."""
    event_type = "kit.note.renamed"
    with registry.temporarily(
        Declaration(type=event_type, version=1, payload=NoteRenamed, key="the note's id"),
        Declaration(type=event_type, version=2, payload=NoteRenamedV2, key="the note's id"),
    ):
        yield event_type


def _v1(**changes: object) -> dict[str, object]:
    data = {"id": str(uuid.uuid4()), "title": "t", "words": 3, "tone": "calm"}
    data.update(changes)
    return data


@pytest.mark.django_db
def test_publish_event_refuses_an_undeclared_type() -> None:
    with transaction.atomic(), pytest.raises(UndeclaredEvent) as caught:
        publish_event(type="kit.note.archived", key="k", data={})
    assert "kit.note.archived is not declared" in str(caught.value)
    assert "cotask_common/contracts/kit.py" in str(caught.value)
    assert isinstance(caught.value, EventValidationError)  # what callers caught before
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "t"}, "kit.note.renamed v2: data.id: Field required"),
        ({"id": "not-a-uuid", "title": "t"}, "kit.note.renamed v2: data.id: Input should be a "),
        ({"id": str(uuid.uuid4()), "title": 5}, "data.title: Input should be a valid string"),
        (
            {"id": str(uuid.uuid4()), "title": "t", "words": 3},
            "kit.note.renamed v2: data.words: Extra inputs are not permitted",
        ),
    ],
    ids=["missing", "not-a-uuid", "wrong-type", "undeclared-key"],
)
def test_publish_event_refuses_data_that_does_not_match_the_declaration(
    note_renamed: str, data: dict[str, object], message: str
) -> None:
    with transaction.atomic(), pytest.raises(InvalidEventData) as caught:
        publish_event(type=note_renamed, key="k", data=data)
    assert message in str(caught.value)
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_publish_event_sends_the_latest_version_and_refuses_an_older_one(
    note_renamed: str,
) -> None:
    with transaction.atomic():
        event = publish_event(type=note_renamed, key="k", data={"id": uuid.uuid4(), "title": "t"})
        with pytest.raises(UndeclaredEvent, match="v1 is not published any more: publish v2"):
            publish_event(type=note_renamed, key="k", data=_v1(), version=1)
        with pytest.raises(UndeclaredEvent, match="v3 is not declared"):
            publish_event(type=note_renamed, key="k", data={}, version=3)
    assert event.version == 2
    assert OutboxEvent.objects.get().payload["version"] == 2


def test_validation_is_strict_about_types_and_names_every_problem(note_renamed: str) -> None:
    validate_event_data(type=note_renamed, version=1, data=_v1(tags=["a"]))
    with pytest.raises(InvalidEventData) as caught:
        validate_event_data(
            type=note_renamed, version=1, data=_v1(words="3", tone="shouty", tags=None)
        )
    problems = caught.value.problems
    assert [p.split(":")[1].strip() for p in problems] == ["data.words", "data.tone", "data.tags"]
    assert all(p.startswith("kit.note.renamed v1: ") for p in problems)
    with pytest.raises(InvalidEventData, match=r"data\.words: Input should be a valid integer"):
        validate_event_data(type=note_renamed, version=1, data=_v1(words=True))


# -- the services' declarations --------------------------------------------------------------


def test_every_service_declares_its_types_in_its_own_module() -> None:
    declarations = registry.all()
    assert len(registry.types()) >= 45
    for declaration in declarations:
        assert declaration.producer in SERVICES, declaration.type
        assert declaration.payload.__module__ == f"cotask_common.contracts.{declaration.producer}"
        assert declaration.summary, f"{declaration.type} v{declaration.version} says nothing"
        assert set(declaration.consumers) <= set(SERVICES), declaration.type
        # Closed: a key the declaration does not name is refused (and so is documented).
        assert declaration.adapter.json_schema().get("additionalProperties") is False


def test_an_example_of_every_declared_version_is_valid_and_publishable() -> None:
    for declaration in registry.all():
        data = example_payload(declaration.type, declaration.version)
        declaration.validate(data)
        minimal = example_payload(declaration.type, declaration.version, optional=False)
        assert set(minimal) == set(declaration.payload.__required_keys__)
        event = example_event(declaration.type, declaration.version)
        assert (event.version, event.producer) == (declaration.version, declaration.producer)


def test_example_payload_overrides_are_validated() -> None:
    data = example_payload("social.like.created", target_type="comment")
    assert data["target_type"] == "comment"
    with pytest.raises(InvalidEventData, match=r"data\.target_kind: Extra inputs"):
        example_payload("social.like.created", target_kind="comment")


def test_the_retired_aliases_are_accepted_in_v1_and_refused_in_v2() -> None:
    """A v1 payload as social published it before the aliases were retired."""
    follower, owner = str(uuid.uuid4()), str(uuid.uuid4())
    follow_v1 = {
        "id": str(uuid.uuid4()),
        "page_id": str(uuid.uuid4()),
        "page_handle": "secret",
        "page_name": "Secret",
        "page_owner_id": owner,
        "user_id": follower,
        "follower_id": follower,
        "via": "direct",
        "recipient_ids": [owner],
    }
    validate_event_data(type="social.follow.created", version=1, data=follow_v1)
    with pytest.raises(InvalidEventData, match=r"social.follow.created v2: data.user_id: Extra"):
        validate_event_data(type="social.follow.created", version=2, data=follow_v1)
    del follow_v1["user_id"]
    validate_event_data(type="social.follow.created", version=2, data=follow_v1)
    retired = {
        "social.follow.created": {"user_id"},
        "social.like.created": {"target_kind"},
        "social.moderation.post_removed": {"target_kind"},
        "social.post.created": {"page_owner_id", "reply_to_owner_id"},
        "social.comment.created": {"page_owner_id"},
    }
    for event_type, aliases in retired.items():
        v1 = registry.get(event_type, 1).payload.__required_keys__
        v2 = registry.get(event_type, 2).payload.__required_keys__
        assert v1 - v2 == aliases, event_type
        assert v2 <= v1, f"{event_type}: v2 only drops keys, so v1 consumers read v2 too"


# -- the generated catalogue -----------------------------------------------------------------


def test_docs_events_md_is_generated_from_the_declarations() -> None:
    """Stale? Run `make events-doc` and commit docs/events.md."""
    assert EVENTS_MD.read_text(encoding="utf-8") == render()


def test_the_catalogue_describes_every_declared_type_and_key() -> None:
    text = render()
    for declaration in registry.all():
        assert f"#### `{declaration.type}`" in text
        for name in typing.get_type_hints(declaration.payload):
            assert f"`{name}`" in text, f"{declaration.type}: {name}"


def test_the_doc_script_checks_and_writes(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "events_doc.py"
    target = tmp_path / "events.md"
    target.write_text("stale\n", encoding="utf-8")
    check = subprocess.run(
        [sys.executable, str(script), "--check", "--output", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1 and "make events-doc" in check.stderr
    subprocess.run([sys.executable, str(script), "--output", str(target)], check=True)
    assert target.read_text(encoding="utf-8") == render()
