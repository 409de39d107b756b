"""A learning request's matching mentors: who, in which order, and why."""

from __future__ import annotations

from typing import Any

import pytest

from social.mentors.tests.test_learning_requests import API, ban, post_request
from social.mentors.tests.test_profiles import set_up
from social.mentors.tests.test_reviews import review, talk

pytestmark = pytest.mark.django_db


def handles(response: Any) -> list[str]:
    return [m["mentor"]["page"]["handle"] for m in response.json()["results"]]


def test_ranked_by_language_tags_rating_and_experience(member: Any, anon: Any) -> None:
    bob = member("bob")
    ada, eve, fay, gus, hal = (member(n) for n in ("ada", "eve", "fay", "gus", "hal"))
    set_up(ada, subjects=["python"], languages=["en"], tags=[], years_experience=1)
    set_up(eve, subjects=["python"], languages=["uk", "en"], tags=[], years_experience=1)
    set_up(fay, subjects=["python"], languages=["en"], tags=["django"], years_experience=1)
    set_up(gus, subjects=["python"], languages=["en"], tags=[], years_experience=15)
    set_up(hal, subjects=["english"], languages=["uk"], tags=["django"])  # another subject
    rid = post_request(bob, tags=["django"], language="uk").json()["id"]
    r = anon.get(f"{API}/{rid}/matches/")
    assert r.status_code == 200, r.json()
    # scores: eve speaks Ukrainian, 2 + 0.1 (a year); gus 1.5 (15 years); fay 1 (the tag) + 0.1
    assert handles(r) == ["eve", "gus", "fay", "ada"]
    by_handle = {m["mentor"]["page"]["handle"]: m for m in r.json()["results"]}
    assert [x["code"] for x in by_handle["eve"]["reasons"]] == ["subject", "language", "experience"]
    assert by_handle["eve"]["reasons"][0]["text"] == "Teaches Python"
    assert by_handle["eve"]["reasons"][1]["text"] == "Speaks Ukrainian"
    assert by_handle["fay"]["reasons"][1] == {"code": "tags", "text": "Also knows django"}
    assert by_handle["gus"]["reasons"][-1]["text"] == "15 years of experience"
    # a rating lifts a mentor (the Bayesian rank) and is a reason
    for i in range(2):
        student = member(f"s{i}")
        talk(student, ada)
        assert review(student, "ada", 5).status_code == 201
    r = anon.get(f"{API}/{rid}/matches/", HTTP_ACCEPT_LANGUAGE="uk")
    assert handles(r)[0] == "ada"
    ada_match = r.json()["results"][0]
    assert ada_match["reasons"][1] == {"code": "rating", "text": "Оцінка 5.0 від 2 студентів"}
    assert ada_match["mentor"]["rating"]["count"] == 2
    r = anon.get(f"{API}/{rid}/matches/", HTTP_ACCEPT_LANGUAGE="ru")
    texts = [x["text"] for x in r.json()["results"][1]["reasons"]]
    assert texts == ["Преподаёт: Python", "Владеет: Украинский язык", "1 год опыта"]


def test_never_a_banned_withdrawn_blocked_mentor_nor_the_author(member: Any) -> None:
    bob, ada, eve, fay, gus = (member(n) for n in ("bob", "ada", "eve", "fay", "gus"))
    for client in (bob, ada, eve, fay, gus):
        set_up(client, subjects=["python"])
    rid = post_request(bob).json()["id"]
    assert handles(bob.get(f"{API}/{rid}/matches/")) == ["gus", "fay", "eve", "ada"]
    ban(ada)
    eve.delete("/api/social/mentors/me/")
    fay.post("/api/social/pages/fay/blocks/", {"user_id": str(bob.user.id)}, format="json")
    assert handles(bob.get(f"{API}/{rid}/matches/")) == ["gus"]


def test_matches_of_a_hidden_request_are_hidden(member: Any, anon: Any) -> None:
    bob, cat = member("bob"), member("cat")
    rid = post_request(bob, visibility="private").json()["id"]
    assert anon.get(f"{API}/{rid}/matches/").status_code == 404
    assert cat.get(f"{API}/{rid}/matches/").status_code == 404
    assert bob.get(f"{API}/{rid}/matches/").status_code == 200


def test_matches_query_count_is_bounded(
    member: Any, anon: Any, django_assert_max_num_queries: Any
) -> None:
    bob = member("bob")
    for i in range(7):
        set_up(member(f"mentor{i}"), subjects=["python"], years_experience=i)
    rid = post_request(bob, tags=["django", "asyncio"]).json()["id"]
    for client in (anon, bob):
        with django_assert_max_num_queries(3):
            r = client.get(f"{API}/{rid}/matches/?page_size=5")
        assert r.status_code == 200 and len(r.json()["results"]) == 5
        assert handles(r)[0] == "mentor6"
        rest = client.get(r.json()["next"])
        assert len(rest.json()["results"]) == 2
        assert set(handles(r)) | set(handles(rest)) == {f"mentor{i}" for i in range(7)}


def test_the_match_notice_goes_to_the_best_few(
    member: Any, settings: Any, published_events: Any
) -> None:
    settings.SOCIAL_LEARNING_MATCH_NOTIFY = 2
    bob = member("bob")
    ada, eve, fay, gus = (member(n) for n in ("ada", "eve", "fay", "gus"))
    set_up(ada, subjects=["python"], languages=["en"], years_experience=1)
    set_up(eve, subjects=["python"], languages=["uk"], years_experience=1)
    set_up(fay, subjects=["python"], languages=["uk"], years_experience=9)
    set_up(gus, subjects=["english"], languages=["uk"], years_experience=20)
    # bob blocked fay: she is not told (nor does she see the request)
    bob.post("/api/social/pages/bob/blocks/", {"user_id": str(fay.user.id)}, format="json")
    post_request(bob, language="uk", tags=[])
    [event] = published_events("social.learning_request.matched")
    assert event.data["recipient_ids"] == [str(eve.user.id), str(ada.user.id)]
    settings.SOCIAL_LEARNING_MATCH_NOTIFY = 1
    post_request(bob, language="uk", tags=[])
    assert published_events("social.learning_request.matched")[-1].data["recipient_ids"] == [
        str(eve.user.id)
    ]
