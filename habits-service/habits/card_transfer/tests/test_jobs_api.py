"""The import jobs API: who may start and read an import (the owner; a stranger's deck or job
reads as missing; banned 403; anonymous 401), the kind from the file name or the form, the
job's progress and result, and a bounded number of queries for the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from habits.card_transfer import services
from habits.card_transfer.models import ImportFile, ImportJob, ImportStatus
from habits.cards.models import Note
from habits.tracking.tests.conftest import WHO, Cast

pytestmark = pytest.mark.django_db

URL = "/api/habits/cards/imports/"


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("stranger", 404), ("banned", 403), ("anonymous", 401)]
)
def test_who_may_import_into_a_deck(
    cast: Cast, upload: Callable[..., Any], make_deck: Callable[..., Any], who: str, expected: int
) -> None:
    deck = make_deck()
    response = upload(b"a,b\n", deck=deck.id, client=cast.clients[who])
    assert response.status_code == expected, response.json()
    if expected == 404:
        assert response.json()["code"] == "deck_not_found"
    assert Note.objects.filter(deck=deck).count() == (1 if who == "owner" else 0)


def test_only_the_owner_reads_a_job(
    cast: Cast, upload: Callable[..., Any], make_deck: Callable[..., Any]
) -> None:
    job = upload(b"a,b\n", deck=make_deck().id).json()
    for who in WHO:
        response = cast.clients[who].get(f"{URL}{job['id']}/")
        expected = {"owner": 200, "stranger": 404, "banned": 403, "anonymous": 401}[who]
        assert response.status_code == expected
        listed = cast.clients[who].get(URL)
        if who == "owner":
            assert [j["id"] for j in listed.json()["results"]] == [job["id"]]
        elif who == "stranger":
            assert listed.json()["results"] == []
    assert cast.owner.get(f"{URL}not-a-uuid/").status_code == 404


def test_a_job_reports_progress_and_its_file_goes(
    cast: Cast, make_deck: Callable[..., Any], published_events: Any
) -> None:
    """Queued with its file kept; running it moves to done at 100 % and drops the file."""
    deck = make_deck()
    job = services.import_create(
        user=cast.users["owner"], kind="csv", data=b"a,b\nc,d\n", filename="x.csv", deck_id=deck.id
    )
    read = cast.owner.get(f"{URL}{job.id}/").json()
    assert (read["status"], read["percent"], read["counts"], read["error"]) == (
        "queued",
        0,
        {},
        None,
    )
    assert ImportFile.objects.filter(job=job).exists()
    services.import_run(job_id=job.id)
    read = cast.owner.get(f"{URL}{job.id}/").json()
    assert (read["status"], read["percent"]) == ("done", 100)
    assert read["counts"] == {"notes": 2, "cards": 2, "reviews": 0}
    assert not ImportFile.objects.exists()
    assert [e.data["percent"] for e in published_events("habits.card_import.progressed")] == [
        0,
        5,
        60,
        100,
    ]
    # A second delivery of the same task does nothing.
    assert services.import_run(job_id=job.id) is None
    assert Note.objects.count() == 2


def test_a_lost_message_is_queued_again(cast: Cast, make_deck: Callable[..., Any]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    job = services.import_create(
        user=cast.users["owner"], kind="csv", data=b"a,b\n", deck_id=make_deck().id
    )
    ImportJob.objects.filter(id=job.id).update(created_at=timezone.now() - timedelta(minutes=5))
    assert services.requeue_stale() == 1  # eager Celery: it runs at once
    assert ImportJob.objects.get(id=job.id).status == ImportStatus.DONE


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"kind": "zip"}, "kind"),
        ({}, "kind"),  # "cards.bin" says neither
        ({"kind": "csv"}, "deck"),  # CSV needs a deck
        ({"kind": "csv", "deck": "nope"}, "deck"),
        # A form cannot carry null: "null" or an empty part is no deck id (the document says
        # a UUID, left out when there is none).
        ({"kind": "apkg", "deck": "null"}, "deck"),
        ({"kind": "apkg", "deck": ""}, "deck"),
    ],
)
def test_bad_requests_name_the_field(cast: Cast, form: dict[str, str], field: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = cast.owner.post(
        URL, {"file": SimpleUploadedFile("cards.bin", b"a,b\n"), **form}, format="multipart"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not ImportJob.objects.exists()


def test_a_file_whose_name_says_no_kind_breaks_the_documented_rule(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = cast.owner.post(
        URL, {"file": SimpleUploadedFile("cards.png", b"a,b\n")}, format="multipart"
    )
    assert response.json()["fields"]["kind"][0]["code"] == "kind_needed"


def test_the_document_offers_no_null_deck() -> None:
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    form = document["paths"][URL]["post"]["requestBody"]["content"]["multipart/form-data"]
    deck = document["components"]["schemas"][form["schema"]["$ref"].rsplit("/", 1)[1]]
    deck = deck["properties"]["deck"]
    assert deck["format"] == "uuid" and not deck.get("nullable")


def test_missing_file_names_the_field(cast: Cast) -> None:
    response = cast.owner.post(URL, {"kind": "csv"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_the_list_costs_the_same_for_many_jobs(
    cast: Cast, make_deck: Callable[..., Any], django_assert_max_num_queries: Any, warm: Any
) -> None:
    deck = make_deck()
    for _ in range(6):
        services.import_create(user=cast.users["owner"], kind="csv", data=b"a,b\n", deck_id=deck.id)
    warm()
    with django_assert_max_num_queries(4):
        response = cast.owner.get(URL)
    assert len(response.json()["results"]) == 6


def test_a_deleted_account_takes_its_import_jobs(
    cast: Cast, upload: Callable[..., Any], make_deck: Callable[..., Any]
) -> None:
    from cotask_common.events.testing import handle_event, make_event

    done = upload(b"a,b\n", deck=make_deck().id).json()
    waiting = services.import_create(
        user=cast.users["owner"], kind="csv", data=b"a,b\n", deck_id=make_deck(name="B").id
    )
    theirs = upload(b"a,b\n", deck=make_deck(owner="stranger").id, client=cast.clients["stranger"])
    owner_id = cast.users["owner"].id
    assert handle_event(make_event(type="auth.user.deleted", key=str(owner_id), data={}))
    handle_event(make_event(type="auth.user.deleted", key=str(owner_id), data={}))  # again
    assert not ImportJob.objects.filter(id__in=[done["id"], waiting.id]).exists()
    assert not ImportFile.objects.exists()
    assert ImportJob.objects.filter(id=theirs.json()["id"]).exists()
