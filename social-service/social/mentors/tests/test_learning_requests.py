"""Learning requests: posting, who reads them, editing and closing one's own, the lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.events.testing import handle_event, make_event
from social.mentors.models import LearningRequest
from social.mentors.tests.test_profiles import set_up

pytestmark = pytest.mark.django_db

API = "/api/social/learning-requests"

REQUEST = {
    "subject": "python",
    "tags": ["django", "#asyncio"],
    "requirements": "Help me ship a Django app.",
    "level": "intermediate",
    "language": "uk",
    "budget_min": "10.00",
    "budget_max": "25.00",
    "currency": "eur",
    "visibility": "public",
}


def post_request(client: Any, **changes: Any) -> Any:
    return client.post(f"{API}/", {**REQUEST, **changes}, format="json")


def ban(client: Any) -> None:
    handle_event(
        make_event(type="auth.user.banned", key=client.user.id, data={"until": None, "reason": "x"})
    )


def test_post_read_edit_close(member: Any, anon: Any) -> None:
    bob = member("bob")
    deadline = (timezone.localdate() + timedelta(days=30)).isoformat()
    r = post_request(bob, deadline=deadline)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["subject"] == {"code": "python", "name": "Python"}
    assert body["tags"] == ["django", "asyncio"] and body["level"] == "intermediate"
    assert body["budget"] == {"min": "10.00", "max": "25.00", "currency": "EUR"}
    assert body["deadline"] == deadline and body["status"] == "open"
    assert body["author"]["username"] == "bob" and body["conversation_id"] is None
    rid = body["id"]
    # public: anyone reads it
    assert anon.get(f"{API}/{rid}/").json()["id"] == rid
    # the subject name in the reader's language
    r = anon.get(f"{API}/{rid}/", HTTP_ACCEPT_LANGUAGE="uk")
    assert r.json()["subject"]["name"] == "Python"
    # edit own: a partial change; a budget end may be left out
    r = bob.patch(
        f"{API}/{rid}/", {"requirements": "Async views", "budget_max": None}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["requirements"] == "Async views"
    assert r.json()["budget"] == {"min": "10.00", "max": None, "currency": "EUR"}
    # listed among mine
    r = bob.get(f"{API}/mine/")
    assert [x["id"] for x in r.json()["results"]] == [rid]
    # close (withdraw): no more edits, a second close is 409
    r = bob.post(f"{API}/{rid}/close/")
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["closed_at"]
    assert bob.post(f"{API}/{rid}/close/").status_code == 409
    r = bob.patch(f"{API}/{rid}/", {"requirements": "x"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "request_closed"
    assert [x["id"] for x in bob.get(f"{API}/mine/?status=closed").json()["results"]] == [rid]
    assert bob.get(f"{API}/mine/?status=open").json()["results"] == []
    assert bob.get(f"{API}/mine/?status=nope").status_code == 400


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": "alchemy"}, "subject"),
        ({"subject": ""}, "subject"),
        ({"language": "xx"}, "language"),
        ({"level": "guru"}, "level"),
        ({"visibility": "friends"}, "visibility"),
        ({"deadline": "2001-01-01"}, "deadline"),
        ({"deadline": "soon"}, "deadline"),
        ({"budget_min": "30.00"}, "budget_max"),
        ({"currency": "euro"}, "currency"),
        ({"tags": ["no spaces"]}, "tags"),
        ({"requirements": "x" * 4001}, "requirements"),
    ],
)
def test_bad_input_names_the_field(member: Any, changes: dict, field: str) -> None:
    r = post_request(member("bob"), **changes)
    assert r.status_code == 400, r.json()
    assert field in r.json()["fields"], r.json()


def test_the_budget_rules_across_fields_have_their_own_codes(member: Any) -> None:
    """Rules across fields, stated in the operations' documents (a client tells them from a
    malformed value by the code)."""
    bob = member("bob")
    r = post_request(bob, budget_min="30.00")
    assert r.status_code == 400 and r.json()["fields"]["budget_max"][0]["code"] == "range_order"
    r = post_request(bob, currency="")
    assert r.status_code == 400, r.json()
    assert r.json()["fields"]["currency"][0]["code"] == "currency_needed"
    rid = post_request(bob).json()["id"]
    r = bob.patch(f"{API}/{rid}/", {"currency": ""}, format="json")
    assert r.status_code == 400 and r.json()["fields"]["currency"][0]["code"] == "currency_needed"
    # A malformed code is the field's own `invalid` (its pattern is in the document).
    r = bob.patch(f"{API}/{rid}/", {"currency": "12"}, format="json")
    assert r.status_code == 400 and r.json()["fields"]["currency"][0]["code"] == "invalid"


@pytest.mark.parametrize("currency", ["12", "euro", "ЕВР", "E U"])
def test_a_currency_is_three_letters_even_without_a_budget(member: Any, currency: str) -> None:
    """The document's pattern holds whenever the field is given, so a client can rely on it."""
    r = post_request(member("bob"), budget_min=None, budget_max=None, currency=currency)
    assert r.status_code == 400, r.json()
    assert r.json()["fields"]["currency"][0]["code"] == "invalid"


def test_tags_and_currency_as_the_document_states_them(member: Any) -> None:
    """What the document's patterns call valid is taken, as the service words it (trimmed,
    lower-cased, without leading '#'); what they refuse is a 400 naming the field."""
    import re

    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    body = document["paths"][f"{API}/"]["post"]["requestBody"]["content"]["application/json"]
    schema = document["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    tag = schema["properties"]["tags"]["items"]["pattern"]
    currency = schema["properties"]["currency"]["pattern"]
    written = ["  #Python ", "##Data-Science", "машинне_навчання", "İstanbul", "x" * 40]
    assert all(re.match(tag, t) for t in written)
    assert all(re.match(currency, c) for c in (" usd ", "eur", ""))
    bob = member("bob")
    r = post_request(bob, tags=written, currency=" usd ")
    assert r.status_code == 201, r.json()
    assert r.json()["tags"][:3] == ["python", "data-science", "машинне_навчання"]
    assert r.json()["budget"]["currency"] == "USD"
    rid = r.json()["id"]
    for wrong in ("", "# py", "a b", "x" * 41, "c++"):
        assert not re.match(tag, wrong)
        r = bob.patch(f"{API}/{rid}/", {"tags": [wrong]}, format="json")
        assert r.status_code == 400 and "tags" in r.json()["fields"], wrong


def test_errors_are_translated(member: Any) -> None:
    bob = member("bob")
    r = bob.post(
        f"{API}/", {**REQUEST, "deadline": "2001-01-01"}, format="json", HTTP_ACCEPT_LANGUAGE="uk"
    )
    assert r.json()["fields"]["deadline"][0]["message"] == "Кінцевий термін уже минув."
    r = bob.post(
        f"{API}/", {**REQUEST, "subject": "alchemy"}, format="json", HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert "Неизвестный код" in r.json()["fields"]["subject"][0]["message"]


def test_who_reads_a_request(member: Any, anon: Any, client_for: Any) -> None:
    bob, cat, ada, eve, fay = (member(n) for n in ("bob", "cat", "ada", "eve", "fay"))
    set_up(ada, subjects=["python"])  # teaches the subject
    set_up(eve, subjects=["english"])  # a mentor of another subject
    # cat follows bob's personal page (approved: bob's page is public)
    assert cat.post("/api/social/pages/bob/follow/").status_code in (200, 201)
    private = post_request(bob, visibility="private").json()["id"]
    followers = post_request(bob, visibility="followers").json()["id"]
    public = post_request(bob).json()["id"]

    def status(client: Any, rid: str) -> int:
        return client.get(f"{API}/{rid}/").status_code

    unknown = "00000000-0000-7000-8000-000000000000"
    # a stranger learns nothing: the same 404 as for no request at all
    for client in (anon, fay, eve):
        assert status(client, private) == 404
        hidden, missing = client.get(f"{API}/{private}/"), client.get(f"{API}/{unknown}/")
        assert (hidden.json()["code"], hidden.json()["message"]) == (
            missing.json()["code"],
            missing.json()["message"],
        )
    assert [status(c, followers) for c in (anon, fay, eve, cat)] == [404, 404, 404, 200]
    assert status(cat, private) == 404
    # the mentors it is meant for, its author and staff read every visibility
    for client in (ada, bob, client_for(role="moderator")):
        assert [status(client, rid) for rid in (private, followers, public)] == [200] * 3
    assert [status(c, public) for c in (anon, fay, eve, cat)] == [200] * 4
    # the author blocks fay: the public request is hidden from her
    bob.post("/api/social/pages/bob/blocks/", {"user_id": str(fay.user.id)}, format="json")
    assert status(fay, public) == 404
    # a banned author's requests are hidden from everyone else
    ban(bob)
    assert status(anon, public) == 404 and status(ada, private) == 404


def test_only_the_author_edits_or_closes(member: Any, anon: Any) -> None:
    bob, cat = member("bob"), member("cat")
    rid = post_request(bob).json()["id"]
    private = post_request(bob, visibility="private").json()["id"]
    for method, path, body in (
        ("patch", f"{API}/{rid}/", {"requirements": "mine now"}),
        ("post", f"{API}/{rid}/close/", None),
    ):
        r = getattr(cat, method)(path, body, format="json")
        assert r.status_code == 403 and r.json()["code"] == "not_author"
        assert getattr(anon, method)(path, body, format="json").status_code == 401
        # on a request cat may not read, the answer is the 404 of a missing one
        r = getattr(cat, method)(path.replace(rid, private), body, format="json")
        assert r.status_code == 404
    assert anon.post(f"{API}/", REQUEST, format="json").status_code == 401
    assert anon.get(f"{API}/mine/").status_code == 401
    assert LearningRequest.objects.get(id=rid).requirements == REQUEST["requirements"]
    assert LearningRequest.objects.get(id=rid).status == "open"


def test_a_banned_user_cannot_post(member: Any) -> None:
    bob = member("bob")
    ban(bob)
    assert post_request(bob).status_code in (401, 403)
    assert LearningRequest.objects.count() == 0


def test_lists_query_count_is_bounded(member: Any, django_assert_max_num_queries: Any) -> None:
    ada = member("ada")
    set_up(ada, subjects=["python"])
    for i in range(6):
        student = member(f"student{i}")
        for visibility in ("public", "private"):
            assert post_request(student, visibility=visibility).status_code == 201
    bob = member("bob")
    for _ in range(6):
        post_request(bob)
    with django_assert_max_num_queries(3):
        r = bob.get(f"{API}/mine/?page_size=5")
    assert r.status_code == 200 and len(r.json()["results"]) == 5
    # a mentor's list: the open requests of their subjects, every visibility, not their own
    with django_assert_max_num_queries(3):
        r = ada.get(f"{API}/for-me/?page_size=5")
    assert r.status_code == 200 and len(r.json()["results"]) == 5
    r = ada.get(f"{API}/for-me/?page_size=100")
    assert len(r.json()["results"]) == 18
    # a person teaching nothing sees none
    assert bob.get(f"{API}/for-me/").json()["results"] == []


def test_a_deleted_account_takes_its_requests_and_offers(member: Any) -> None:
    from social.mentors.models import LearningOffer

    bob, ada = member("bob"), member("ada")
    set_up(ada, subjects=["python"])
    set_up(bob, subjects=["python"])
    rid = post_request(bob).json()["id"]
    ada_rid = post_request(ada).json()["id"]
    assert ada.post(f"{API}/{rid}/offers/", {"message": "hi"}, format="json").status_code == 201
    assert bob.post(f"{API}/{ada_rid}/offers/", {"message": "hi"}, format="json").status_code == 201
    handle_event(make_event(type="auth.user.deleted", key=bob.user.id, data={}))
    assert [str(i) for i in LearningRequest.objects.values_list("id", flat=True)] == [ada_rid]
    assert LearningOffer.objects.count() == 0
