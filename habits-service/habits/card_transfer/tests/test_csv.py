"""CSV import and export: what spreadsheets write imports (BOM, header or not, `;` or tab), a
deck exported as CSV imports again into the same notes, and a bad file fails its job naming the
line and the problem, with nothing imported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from habits.card_transfer.models import ImportJob
from habits.cards.models import Card, Note
from habits.tracking.tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _notes(deck: Any) -> list[tuple[str, str, str, str, str, list[str]]]:
    return sorted(
        (n.kind, n.front, n.back, n.text, n.extra, n.tags) for n in Note.objects.filter(deck=deck)
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"hola,hello,es verbs\nadios,bye\n",
            [("adios", "bye", []), ("hola", "hello", ["es", "verbs"])],
        ),
        (
            "\ufefffront;back;tags\r\nhola;hello;es\r\n".encode(),
            [("hola", "hello", ["es"])],
        ),
        (b"Front\tBack\nhola\thello, hi\n", [("hola", "hello, hi", [])]),
        (b'"a, b","multi\nline"\n', [("a, b", "multi\nline", [])]),
    ],
    ids=["comma-no-header", "bom-semicolon-header-crlf", "tab-header", "quoted"],
)
def test_csv_imports(
    upload: Callable[..., Any], make_deck: Callable[..., Any], content: bytes, expected: Any
) -> None:
    deck = make_deck()
    response = upload(content, deck=deck.id)
    assert response.status_code == 200, response.json()
    job = response.json()
    assert job["status"] == "done", job
    assert job["percent"] == 100
    assert job["counts"]["notes"] == len(expected)
    got = sorted((n.front, n.back, n.tags) for n in Note.objects.filter(deck=deck))
    assert got == sorted(expected)
    assert Card.objects.filter(deck=deck, state=0).count() == len(expected)


def test_csv_round_trip(
    cast: Cast, upload: Callable[..., Any], make_deck: Callable[..., Any]
) -> None:
    source = make_deck(name="Source")
    content = (
        "front,back,tags\n"
        'hola,"hello, hi",es\n'
        '"The {{c1::sun}} is a {{c2::star}}",astronomy,space science\n'
        "Привіт,Hello,uk\n"
    ).encode()
    assert upload(content, deck=source.id).json()["status"] == "done"
    assert Card.objects.filter(deck=source).count() == 4  # the cloze note has two cards

    exported = cast.owner.get(f"/api/habits/cards/decks/{source.id}/export.csv")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    assert 'filename="Source.csv"' in exported["Content-Disposition"]

    copy = make_deck(name="Copy")
    assert upload(exported.content, deck=copy.id).json()["status"] == "done"
    assert _notes(copy) == _notes(source)
    assert Card.objects.filter(deck=copy).count() == 4


@pytest.mark.parametrize(
    ("content", "code", "line", "words"),
    [
        (b"hola,hello\nadios\n", "column_count", 2, "Line 2 has 1 columns"),
        (b"a,b\nc,d\ne,f,g,h\n", "column_count", 3, "expected 2 or 3"),
        (b"hola,hello\n,empty\n", "empty_front", 2, "Line 2 has an empty front"),
        (b"hola,hello\n\xff\xfe,bad\n", "not_utf8", 2, "Line 2 is not UTF-8"),
        (b"   \n", "empty_file", None, "The file is empty"),
    ],
)
def test_bad_csv_fails_the_job_naming_line_and_problem(
    upload: Callable[..., Any],
    make_deck: Callable[..., Any],
    content: bytes,
    code: str,
    line: int | None,
    words: str,
    published_events: Any,
) -> None:
    deck = make_deck()
    response = upload(content, deck=deck.id)
    if code == "empty_file" and response.status_code == 400:  # refused before a job
        assert response.json()["fields"]["file"][0]["code"] == "empty_file"
        return
    job = response.json()
    assert job["status"] == "failed", job
    assert job["error"]["code"] == code
    assert job["error"]["line"] == line
    assert words in job["error"]["message"]
    assert not Note.objects.exists() and not Card.objects.exists()
    events = published_events("habits.card_import.progressed")
    assert [e.data["status"] for e in events] == ["queued", "running", "failed"]


def test_a_failure_while_writing_leaves_nothing(
    upload: Callable[..., Any], make_deck: Callable[..., Any], monkeypatch: Any
) -> None:
    """All or nothing: a crash after some rows were written takes them back."""
    from habits.card_transfer import services
    from habits.cards.models import Review

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Review.objects, "bulk_create", broken)
    deck = make_deck()
    job = upload(b"a,b\nc,d\n", deck=deck.id).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "internal"
    assert not Note.objects.exists() and not Card.objects.exists()
    assert services  # the module under test


def test_too_big_is_refused_before_a_job(
    upload: Callable[..., Any], make_deck: Callable[..., Any], settings: Any
) -> None:
    settings.HABITS_CARDS_IMPORT_MAX_BYTES = 10
    response = upload(b"hola,hello,es\n", deck=make_deck().id)
    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["file"][0]["code"] == "too_big"
    assert "at most 10 bytes" in body["fields"]["file"][0]["message"]
    assert not ImportJob.objects.exists()


def test_too_many_notes_fails(
    upload: Callable[..., Any], make_deck: Callable[..., Any], settings: Any
) -> None:
    settings.HABITS_CARDS_IMPORT_MAX_NOTES = 2
    job = upload(b"a,b\nc,d\ne,f\n", deck=make_deck().id).json()
    assert job["error"]["code"] == "too_many_cards"
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Line 2 has an empty front."),
        ("ru", "В строке 2 пустая лицевая сторона."),
        ("uk", "У рядку 2 порожній лицьовий бік."),
    ],
)
def test_the_problem_reads_in_the_readers_language(
    cast: Cast,
    upload: Callable[..., Any],
    make_deck: Callable[..., Any],
    language: str,
    expected: str,
) -> None:
    job = upload(b"a,b\n,c\n", deck=make_deck().id).json()
    read = cast.owner.get(f"/api/habits/cards/imports/{job['id']}/", HTTP_ACCEPT_LANGUAGE=language)
    assert read.json()["error"]["message"] == expected
