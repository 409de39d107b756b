from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.events.testing import handle_event, make_event
from social.mentors.models import MentorProfile

pytestmark = pytest.mark.django_db

API = "/api/social/mentors"

PROFILE = {
    "subjects": ["python", "mathematics"],
    "tags": ["Django", "#fsrs"],
    "languages": ["en", "UK"],
    "years_experience": 7,
    "bio": "I teach Python.",
    "price_min": "10.00",
    "price_max": "30.00",
    "currency": "eur",
    "availability": "Weekday evenings",
}


def set_up(client: Any, **changes: Any) -> Any:
    return client.put(f"{API}/me/", {**PROFILE, **changes}, format="json")


def test_set_up_read_replace_and_withdraw(member: Any, anon: Any) -> None:
    ada = member("ada")
    r = set_up(ada)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert [s["code"] for s in body["subjects"]] == ["python", "mathematics"]
    assert body["subjects"][1]["name"] == "Mathematics"
    assert body["tags"] == ["django", "fsrs"] and body["languages"] == ["en", "uk"]
    assert body["price"] == {"min": "10.00", "max": "30.00", "currency": "EUR"}
    assert body["page"]["handle"] == "ada" and body["user_id"] == str(ada.user.id)
    assert body["rating"] == {
        "average": 0,
        "count": 0,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
        "rank": 0,
    }
    assert body["active"] is False
    # by handle, user id and page id, for anyone
    for ref in ("ADA", ada.user.id, ada.page.id):
        r = anon.get(f"{API}/{ref}/")
        assert r.status_code == 200 and r.json()["id"] == body["id"], ref
    # PUT replaces: no price any more
    r = set_up(ada, subjects=["english"], price_min=None, price_max=None, currency="")
    assert r.json()["price"] is None and [s["code"] for s in r.json()["subjects"]] == ["english"]
    assert ada.get(f"{API}/me/").json()["id"] == body["id"]
    assert ada.delete(f"{API}/me/").status_code == 204
    assert ada.get(f"{API}/me/").status_code == 404
    assert anon.get(f"{API}/ada/").status_code == 404
    assert ada.delete(f"{API}/me/").status_code == 404
    assert set_up(ada).json()["id"] == body["id"]  # set up again: the same profile


def test_subjects_in_the_request_language(anon: Any) -> None:
    r = anon.get(f"{API}/subjects/", HTTP_ACCEPT_LANGUAGE="uk")
    assert r.status_code == 200
    names = {s["code"]: s["name"] for s in r.json()}
    assert len(names) >= 20 and names["mathematics"] == "Математика"
    r = anon.get(f"{API}/subjects/", HTTP_ACCEPT_LANGUAGE="ru")
    assert {s["code"]: s["name"] for s in r.json()}["mathematics"] == "Математика"
    assert {s["code"]: s["name"] for s in r.json()}["english"] == "Английский язык"


def test_a_mentor_list_names_the_subjects_in_each_readers_language(member: Any, anon: Any) -> None:
    """The names are translated once per language for the process (`subjects.subject_names`):
    a list read in one language, then another, then the first again, names each right."""
    physics = member("physicist")
    r = physics.put(f"{API}/me/", {"subjects": ["physics"], "languages": ["uk"]}, format="json")
    assert r.status_code == 200, r.json()
    for language, name in [("uk", "Фізика"), ("ru", "Физика"), ("en", "Physics"), ("uk", "Фізика")]:
        r = anon.get(f"{API}/", HTTP_ACCEPT_LANGUAGE=language)
        assert r.status_code == 200
        assert [s["name"] for m in r.json()["results"] for s in m["subjects"]] == [name], language


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subjects": ["python", "alchemy"]}, "subjects"),
        ({"subjects": []}, "subjects"),
        ({"languages": ["xx"]}, "languages"),
        ({"years_experience": -1}, "years_experience"),
        ({"years_experience": 81}, "years_experience"),
        ({"price_min": "40.00"}, "price_max"),
        ({"price_max": None}, "price_max"),
        ({"currency": "euro"}, "currency"),
        ({"tags": ["no spaces"]}, "tags"),
        ({"bio": "x" * 2001}, "bio"),
    ],
)
def test_bad_input_names_the_field(member: Any, changes: dict, field: str) -> None:
    r = set_up(member("ada"), **changes)
    assert r.status_code == 400, r.json()
    assert field in r.json()["fields"], r.json()


def test_the_years_of_experience_are_documented_as_checked() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    years = schemas["ProfileInputRequest"]["properties"]["years_experience"]
    assert (years["minimum"], years["maximum"]) == (0, 80)


def test_the_price_rules_across_fields_have_their_own_codes(member: Any) -> None:
    def code(**changes: Any) -> str:
        r = set_up(member("ada"), **changes)
        assert r.status_code == 400, r.json()
        ((field, problems),) = r.json()["fields"].items()
        return f"{field}:{problems[0]['code']}"

    assert code(price_max=None) == "price_max:range_both"
    assert code(price_min="40.00") == "price_max:range_order"
    assert code(currency="") == "currency:currency_needed"


def test_unknown_subject_is_translated(member: Any) -> None:
    r = member("bob").put(
        f"{API}/me/", {**PROFILE, "subjects": ["alchemy"]}, format="json", HTTP_ACCEPT_LANGUAGE="uk"
    )
    assert r.status_code == 400
    assert "Невідомий код" in r.json()["fields"]["subjects"][0]["message"]


def test_anonymous_cannot_write_and_another_user_sees_only_read(member: Any, anon: Any) -> None:
    assert anon.put(f"{API}/me/", PROFILE, format="json").status_code == 401
    assert anon.get(f"{API}/me/").status_code == 401
    assert anon.delete(f"{API}/me/").status_code == 401
    ada, bob = member("ada"), member("bob")
    set_up(ada)
    assert bob.get(f"{API}/me/").status_code == 404  # bob has none; ada's is not his
    assert bob.get(f"{API}/ada/").status_code == 200


def test_hidden_mentors_look_absent(member: Any, anon: Any, client_for: Any) -> None:
    ada, bob, eve = member("ada"), member("bob"), member("eve")
    set_up(ada)
    set_up(eve)
    # ada blocks bob from her page: for bob she is not there, in detail and list
    assert ada.post(
        "/api/social/pages/ada/blocks/", {"user_id": str(bob.user.id)}, format="json"
    ).status_code in (200, 201, 204)
    missing = bob.get(f"{API}/ada/")
    unknown = bob.get(f"{API}/nobody/")
    assert missing.status_code == unknown.status_code == 404
    assert missing.json()["code"] == unknown.json()["code"]
    assert [m["page"]["handle"] for m in bob.get(f"{API}/").json()["results"]] == ["eve"]
    # a banned mentor vanishes for everyone but staff
    handle_event(
        make_event(type="auth.user.banned", key=eve.user.id, data={"until": None, "reason": "x"})
    )
    assert anon.get(f"{API}/eve/").status_code == 404
    assert [m["page"]["handle"] for m in anon.get(f"{API}/").json()["results"]] == ["ada"]
    moderator = client_for(role="moderator")
    assert moderator.get(f"{API}/eve/").status_code == 200


def test_list_filters(member: Any, anon: Any) -> None:
    ada, bob, cat = member("ada"), member("bob"), member("cat")
    set_up(ada, subjects=["python"], languages=["en"])
    set_up(bob, subjects=["python", "english"], languages=["uk", "en"])
    set_up(cat, subjects=["english"], languages=["ru"])
    MentorProfile.objects.filter(user_id=ada.user.id).update(
        reviews_count=2, rating_sum=9, average=4.5, rank=4.1
    )
    MentorProfile.objects.filter(user_id=bob.user.id).update(
        reviews_count=1, rating_sum=3, average=3.0, rank=3.9
    )
    MentorProfile.objects.filter(user_id=cat.user.id).update(
        last_active_at=timezone.now() - timedelta(days=2)
    )
    MentorProfile.objects.filter(user_id=bob.user.id).update(
        last_active_at=timezone.now() - timedelta(days=31)
    )

    def handles(query: str) -> list[str]:
        r = anon.get(f"{API}/?{query}")
        assert r.status_code == 200, r.json()
        return [m["page"]["handle"] for m in r.json()["results"]]

    assert handles("") == ["ada", "bob", "cat"]  # by rank
    assert handles("subject=python") == ["ada", "bob"]
    assert handles("language=uk") == ["bob"]
    assert handles("subject=english&language=ru") == ["cat"]
    assert handles("min_rating=4") == ["ada"]
    assert handles("active=true") == ["cat"]
    given_wrong = (
        ("subject=alchemy", "subject"),
        ("min_rating=6", "min_rating"),
        # given empty is not left out, and a flag is true or false
        ("subject=", "subject"),
        ("min_rating=", "min_rating"),
        ("language=", "language"),
        ("active=maybe", "active"),
    )
    for query, field in given_wrong:
        r = anon.get(f"{API}/?{query}")
        assert r.status_code == 400 and field in r.json()["fields"], query


def test_activity_from_posts_and_chat(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    set_up(ada)
    profile = MentorProfile.objects.get(user_id=ada.user.id)
    assert profile.last_active_at is None
    assert (
        ada.post("/api/social/pages/ada/posts/", {"text": "a lesson"}, format="json").status_code
        == 201
    )
    profile.refresh_from_db()
    assert profile.last_active_at is not None
    MentorProfile.objects.filter(id=profile.id).update(last_active_at=None)
    conversation = bob.post(
        "/api/social/chat/direct/", {"user_id": str(ada.user.id)}, format="json"
    ).json()
    r = ada.post(
        f"/api/social/chat/conversations/{conversation['id']}/messages/",
        {"text": "hi"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    profile.refresh_from_db()
    assert profile.last_active_at is not None
    assert [m["page"]["handle"] for m in bob.get(f"{API}/?active=true").json()["results"]] == [
        "ada"
    ]


def test_list_query_count_is_bounded(
    member: Any, anon: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(6):
        set_up(member(f"mentor{i}"))
    viewer = member("viewer")
    for client in (anon, viewer):
        with django_assert_max_num_queries(3):
            r = client.get(f"{API}/?subject=python&language=en&page_size=5")
        assert r.status_code == 200 and len(r.json()["results"]) == 5
