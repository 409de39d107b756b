"""Card import and export end to end, through nginx, on `make run`'s embedded defaults (SQLite,
the filesystem Celery broker, habits-service's own worker): a person uploads a CSV file and an
Anki package made by genanki (not our code); the worker imports them in the background while
the client polls the job; the cards are in today's queue; the deck comes back out as CSV and as
an .apkg that sqlite3 reads with the same notes. A stranger cannot see the job."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import genanki
import pytest
import requests
from harness import Stack
from harness import embedded_stack as embedded_stack_of
from test_habits import register
from test_notifications import auth


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    stack = embedded_stack_of("cards-transfer", workers_of=("habits",))
    yield stack
    stack.stop()


def _import(base: str, account: dict[str, Any], name: str, content: bytes, **form: str) -> Any:
    response = requests.post(
        f"{base}/api/habits/cards/imports/",
        headers=auth(account),
        files={"file": (name, content)},
        data=form,
        timeout=30,
    )
    assert response.status_code == 202, response.text
    job = response.json()
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
        job = requests.get(
            f"{base}/api/habits/cards/imports/{job['id']}/", headers=auth(account), timeout=30
        ).json()
    return job


def _apkg() -> bytes:
    deck = genanki.Deck(2_059_400_110, "Travel::Phrases")
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=["Bonjour", "Hello"]))
    deck.add_note(
        genanki.Note(model=genanki.CLOZE_MODEL, fields=["{{c1::Paris}} is in France", ""])
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "travel.apkg"
        genanki.Package(deck).write_to_file(str(path))
        return path.read_bytes()


@pytest.mark.timeout(600)
def test_import_and_export_on_the_embedded_stack(embedded: Stack) -> None:
    base = embedded.url
    owner, stranger = register(base), register(base)
    deck = requests.post(
        f"{base}/api/habits/cards/decks/", headers=auth(owner), json={"name": "Words"}, timeout=30
    ).json()

    words = "front;back;tags\nhola;hello;es\nadiós;bye;es\n".encode()
    job = _import(base, owner, "words.csv", words, deck=deck["id"])
    assert (job["status"], job["percent"], job["counts"]["notes"]) == ("done", 100, 2), job
    hidden = requests.get(
        f"{base}/api/habits/cards/imports/{job['id']}/", headers=auth(stranger), timeout=30
    )
    assert hidden.status_code == 404

    bad = _import(base, owner, "bad.csv", b"a,b\n,c\n", deck=deck["id"])
    assert bad["status"] == "failed"
    assert bad["error"]["line"] == 2 and bad["error"]["code"] == "empty_front"

    anki = _import(base, owner, "travel.apkg", _apkg())
    assert anki["status"] == "done", anki
    assert anki["counts"]["cards"] == 2

    queue = requests.get(f"{base}/api/habits/cards/queue/", headers=auth(owner), timeout=30)
    assert queue.json()["counts"]["new"] == 4

    csv = requests.get(
        f"{base}/api/habits/cards/decks/{deck['id']}/export.csv", headers=auth(owner), timeout=30
    )
    assert csv.content.decode().splitlines() == [
        "front,back,tags",
        "hola,hello,es",
        "adiós,bye,es",
    ]
    exported = requests.get(
        f"{base}/api/habits/cards/decks/{deck['id']}/export.apkg", headers=auth(owner), timeout=30
    )
    assert exported.status_code == 200
    with (
        tempfile.TemporaryDirectory() as folder,
        zipfile.ZipFile(io.BytesIO(exported.content)) as z,
    ):
        path = Path(folder) / "c.anki2"
        path.write_bytes(z.read("collection.anki2"))
        db = sqlite3.connect(path)
        notes = sorted(row[0].split("\x1f") for row in db.execute("SELECT flds FROM notes"))
        db.close()
    assert notes == [["adiós", "bye"], ["hola", "hello"]]
