"""Mentors' offers on learning requests, and the author accepting one."""

from __future__ import annotations

from typing import Any

import pytest

from social.chat.models import Conversation, Membership
from social.mentors.models import LearningOffer, LearningRequest
from social.mentors.tests.test_learning_requests import API, ban, post_request
from social.mentors.tests.test_profiles import set_up
from social.mentors.tests.test_reviews import review

pytestmark = pytest.mark.django_db


def offer(client: Any, rid: str, message: str = "I can help", **extra: Any) -> Any:
    return client.post(f"{API}/{rid}/offers/", {"message": message, **extra}, format="json")


def test_offer_accept_opens_a_conversation_and_allows_a_review(
    member: Any, published_events: Any
) -> None:
    bob, ada, eve = member("bob"), member("ada"), member("eve")
    set_up(ada, subjects=["python"])
    set_up(eve, subjects=["python"])
    rid = post_request(bob, visibility="private").json()["id"]
    [matched] = published_events("social.learning_request.matched")
    assert matched.key == rid and matched.actor == str(bob.user.id)
    assert set(matched.data["recipient_ids"]) == {str(ada.user.id), str(eve.user.id)}
    assert matched.data["subject"] == "python"
    # before: bob may not review ada
    assert review(bob, "ada").json()["code"] == "no_interaction"
    r = offer(ada, rid, "Let us start Monday", price="20.00", currency="eur")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["mentor"]["page"]["handle"] == "ada" and body["status"] == "open"
    assert (body["price"], body["currency"]) == ("20.00", "EUR")
    [offered] = published_events("social.learning_request.offered")
    assert offered.actor == str(ada.user.id) and offered.data["recipient_ids"] == [str(bob.user.id)]
    assert offered.data["offer_id"] == body["id"] and offered.data["mentor_handle"] == "ada"
    # one open offer per mentor per request
    r = offer(ada, rid, "Again")
    assert r.status_code == 409 and r.json()["code"] == "already_offered"
    eve_offer = offer(eve, rid).json()["id"]
    # the student sees every offer; a mentor only their own
    r = bob.get(f"{API}/{rid}/offers/")
    assert [o["mentor"]["page"]["handle"] for o in r.json()["results"]] == ["eve", "ada"]
    assert [o["id"] for o in eve.get(f"{API}/{rid}/offers/").json()["results"]] == [eve_offer]
    # accept ada's: a conversation of the two, the request closed, eve's offer declined
    r = bob.post(f"{API}/{rid}/offers/{body['id']}/accept/")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "accepted"
    request = bob.get(f"{API}/{rid}/").json()
    assert request["status"] == "accepted" and request["conversation_id"]
    conversation = Conversation.objects.get(id=request["conversation_id"])
    assert conversation.kind == Conversation.Kind.DIRECT
    members = set(
        Membership.objects.filter(conversation=conversation).values_list("user_id", flat=True)
    )
    assert members == {bob.user.id, ada.user.id}
    assert LearningOffer.objects.get(id=eve_offer).status == "declined"
    # bob writes in it through the chat API
    r = bob.post(
        f"/api/social/chat/conversations/{conversation.id}/messages/", {"text": "hi"}, format="json"
    )
    assert r.status_code == 201
    # accepting twice, or another offer now, is 409; offering on the closed request too
    assert bob.post(f"{API}/{rid}/offers/{body['id']}/accept/").status_code == 409
    assert bob.post(f"{API}/{rid}/offers/{eve_offer}/accept/").status_code == 409
    r = offer(member_with_profile(member, "gus"), rid)
    assert r.status_code in (404, 409)
    r = offer(eve, rid, "Still here")
    assert r.status_code == 409 and r.json()["code"] == "request_closed"
    # the pair may now review: interaction learning_request
    r = review(bob, "ada", 5, "Great lessons")
    assert r.status_code == 201, r.json()
    assert r.json()["interaction"] == "learning_request"
    # eve, declined, may not be reviewed
    assert review(bob, "eve").json()["code"] == "no_interaction"


def member_with_profile(member: Any, name: str) -> Any:
    client = member(name)
    set_up(client, subjects=["python"])
    return client


def test_accepting_reuses_an_existing_conversation(member: Any) -> None:
    bob, ada = member("bob"), member("ada")
    set_up(ada, subjects=["python"])
    existing = bob.post("/api/social/chat/direct/", {"user_id": str(ada.user.id)}, format="json")
    rid = post_request(bob).json()["id"]
    oid = offer(ada, rid).json()["id"]
    assert bob.post(f"{API}/{rid}/offers/{oid}/accept/").status_code == 200
    assert LearningRequest.objects.get(id=rid).conversation_id is not None
    assert str(LearningRequest.objects.get(id=rid).conversation_id) == existing.json()["id"]
    assert Conversation.objects.count() == 1


def test_offer_rules(member: Any, anon: Any) -> None:
    bob, ada, cat, eve = member("bob"), member("ada"), member("cat"), member("eve")
    set_up(ada, subjects=["python"])
    set_up(bob, subjects=["python"])
    rid = post_request(bob).json()["id"]
    # not a mentor
    r = offer(cat, rid)
    assert r.status_code == 404 and r.json()["code"] == "no_mentor_profile"
    # one's own request
    r = offer(bob, rid)
    assert r.status_code == 403 and r.json()["code"] == "own_request"
    # anonymous
    assert offer(anon, rid).status_code == 401
    assert anon.get(f"{API}/{rid}/offers/").status_code == 401
    # bad input names the field
    r = offer(ada, rid, " ")
    assert r.status_code == 400 and "message" in r.json()["fields"]
    r = offer(ada, rid, price="10.00")
    assert r.status_code == 400 and "currency" in r.json()["fields"]
    r = offer(ada, rid, price="-1", currency="EUR")
    assert r.status_code == 400 and "price" in r.json()["fields"]
    # a banned mentor
    set_up(eve, subjects=["python"])
    ban(eve)
    assert offer(eve, rid).status_code in (401, 403)
    # blocked either way
    bob.post("/api/social/pages/bob/blocks/", {"user_id": str(ada.user.id)}, format="json")
    assert offer(ada, rid).status_code == 404  # ada no longer sees the request
    # an offer on a closed request
    fay = member("fay")
    set_up(fay, subjects=["python"])
    rid2 = post_request(bob).json()["id"]
    assert bob.post(f"{API}/{rid2}/close/").status_code == 200
    r = offer(fay, rid2)
    assert r.status_code == 409 and r.json()["code"] == "request_closed"
    # a private request of another subject: a mentor who cannot see it gets 404
    rid3 = post_request(bob, subject="music", visibility="private").json()["id"]
    assert offer(fay, rid3).status_code == 404
    assert LearningOffer.objects.count() == 0


def test_only_the_author_accepts(member: Any, anon: Any) -> None:
    bob, ada, cat = member("bob"), member("ada"), member("cat")
    set_up(ada, subjects=["python"])
    rid = post_request(bob).json()["id"]
    oid = offer(ada, rid).json()["id"]
    url = f"{API}/{rid}/offers/{oid}/accept/"
    assert anon.post(url).status_code == 401
    for client in (cat, ada):
        r = client.post(url)
        assert r.status_code == 403 and r.json()["code"] == "not_author"
    # an unknown offer, an offer of another request
    rid2 = post_request(bob).json()["id"]
    assert bob.post(f"{API}/{rid2}/offers/{oid}/accept/").status_code == 404
    # a banned author
    ban(bob)
    assert bob.post(url).status_code in (401, 403)
    assert LearningRequest.objects.get(id=rid).status == "open"
    assert LearningOffer.objects.get(id=oid).status == "open"


def test_offers_query_count_is_bounded(member: Any, django_assert_max_num_queries: Any) -> None:
    bob = member("bob")
    rid = post_request(bob).json()["id"]
    for i in range(6):
        mentor = member(f"mentor{i}")
        set_up(mentor, subjects=["python"])
        assert offer(mentor, rid).status_code == 201
    with django_assert_max_num_queries(3):
        r = bob.get(f"{API}/{rid}/offers/?page_size=5")
    assert r.status_code == 200 and len(r.json()["results"]) == 5


def test_the_conflicts_are_documented() -> None:
    """Offering on or accepting for a request no longer open is a 409 (the test above), and
    the document says so."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    offers = f"{API}/{{request_id}}/offers/"
    assert "409" in paths[offers]["post"]["responses"]
    assert "409" in paths[f"{offers}{{offer_id}}/accept/"]["post"]["responses"]
