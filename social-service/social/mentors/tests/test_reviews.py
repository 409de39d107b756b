from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum

from cotask_common.events.testing import handle_event, make_event
from social.mentors import services
from social.mentors.models import MentorProfile, RatingTotals, Review
from social.mentors.tests.test_profiles import set_up

pytestmark = pytest.mark.django_db

API = "/api/social/mentors"
CHAT = "/api/social/chat"


def talk(student: Any, mentor: Any, *, mentor_answers: bool = True) -> str:
    """A direct conversation the student starts; the mentor answers (or not)."""
    r = student.post(f"{CHAT}/direct/", {"user_id": str(mentor.user.id)}, format="json")
    conversation = r.json()["id"]
    assert (
        student.post(
            f"{CHAT}/conversations/{conversation}/messages/", {"text": "help?"}, format="json"
        ).status_code
        == 201
    )
    if mentor_answers:
        assert (
            mentor.post(
                f"{CHAT}/conversations/{conversation}/messages/", {"text": "sure"}, format="json"
            ).status_code
            == 201
        )
    return conversation


def review(student: Any, handle: str, rating: Any = 5, text: str = "Great", **kw: Any) -> Any:
    return student.post(
        f"{API}/{handle}/reviews/", {"rating": rating, "text": text}, format="json", **kw
    )


def rating_of(client: Any, handle: str) -> dict[str, Any]:
    return client.get(f"{API}/{handle}/").json()["rating"]


def test_review_after_a_conversation_then_edit_answer_delete(
    member: Any, anon: Any, published_events: Any
) -> None:
    ada, bob, cat = member("ada"), member("bob"), member("cat")
    set_up(ada)
    talk(bob, ada)
    r = review(bob, "ada", 4, "Clear explanations")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["interaction"] == "conversation" and body["student"]["username"] == "bob"
    assert body["mentor"]["page"]["handle"] == "ada"
    [event] = published_events("social.mentor.reviewed")
    assert event.actor == str(bob.user.id)
    assert event.data["recipient_ids"] == [str(ada.user.id)]
    assert (event.data["rating"], event.data["mentor_handle"]) == (4, "ada")
    assert (event.data["average"], event.data["reviews_count"]) == (4.0, 1)
    # a second review by the same student
    r = review(bob, "ada", 5)
    assert r.status_code == 409 and r.json()["code"] == "already_reviewed"
    talk(cat, ada)
    assert review(cat, "ada", 2, "").status_code == 201
    rating = rating_of(anon, "ada")
    assert rating["count"] == 2 and rating["average"] == 3.0
    assert rating["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}
    # the rank: C = 10, m = the global mean (3.0) → (10*3 + 6) / 12
    assert rating["rank"] == pytest.approx((10 * 3 + 6) / 12)
    rid = body["id"]
    # edit own
    r = bob.patch(f"{API}/reviews/{rid}/", {"rating": 5}, format="json")
    assert r.status_code == 200 and r.json()["rating"] == 5 and r.json()["edited_at"]
    assert rating_of(anon, "ada")["distribution"]["5"] == 1
    # others may not edit or delete it
    assert cat.patch(f"{API}/reviews/{rid}/", {"rating": 1}, format="json").status_code == 403
    assert cat.delete(f"{API}/reviews/{rid}/").status_code == 403
    assert anon.patch(f"{API}/reviews/{rid}/", {"rating": 1}, format="json").status_code == 401
    # the mentor answers once; nobody else may
    assert (
        cat.post(f"{API}/reviews/{rid}/answer/", {"text": "me"}, format="json").status_code == 403
    )
    r = ada.post(f"{API}/reviews/{rid}/answer/", {"text": "Thank you!"}, format="json")
    assert r.status_code == 200 and r.json()["answer"] == "Thank you!"
    [event] = published_events("social.review.answered")
    assert event.key == rid and event.data["recipient_ids"] == [str(bob.user.id)]
    r = ada.post(f"{API}/reviews/{rid}/answer/", {"text": "again"}, format="json")
    assert r.status_code == 409
    assert MentorProfile.objects.get(user_id=ada.user.id).last_active_at is not None
    # listed, newest first, for anyone
    r = anon.get(f"{API}/ada/reviews/")
    assert [x["student"]["username"] for x in r.json()["results"]] == ["cat", "bob"]
    # delete own: out of the aggregate
    assert bob.delete(f"{API}/reviews/{rid}/").status_code == 204
    assert rating_of(anon, "ada")["count"] == 1
    assert anon.get(f"{API}/reviews/{rid}/").status_code == 404


def test_rules_no_interaction_self_blocked_banned_deleted(
    member: Any, anon: Any, make_user: Any
) -> None:
    ada, bob, cat, dan, eve = (member(n) for n in ("ada", "bob", "cat", "dan", "eve"))
    set_up(ada)
    # no conversation; a conversation where only the student wrote
    r = review(bob, "ada")
    assert r.status_code == 403 and r.json()["code"] == "no_interaction"
    talk(bob, ada, mentor_answers=False)
    assert review(bob, "ada").json()["code"] == "no_interaction"
    # oneself
    r = review(ada, "ada")
    assert r.status_code == 403 and r.json()["code"] == "self_review"
    # blocked either way, after a real conversation
    talk(cat, ada)
    talk(dan, ada)
    ada.post("/api/social/pages/ada/blocks/", {"user_id": str(cat.user.id)}, format="json")
    assert review(cat, "ada").status_code == 404  # ada's page (and so her profile) is hidden
    dan.post("/api/social/pages/dan/blocks/", {"user_id": str(ada.user.id)}, format="json")
    r = review(dan, "ada")
    assert r.status_code == 403 and r.json()["code"] == "blocked"
    # a banned student: the token is refused, or the review is
    talk(eve, ada)
    handle_event(
        make_event(type="auth.user.banned", key=eve.user.id, data={"until": None, "reason": "x"})
    )
    assert review(eve, "ada").status_code in (401, 403)
    assert Review.objects.count() == 0
    # anonymous
    assert review(anon, "ada").status_code == 401
    # a banned or deleted mentor cannot be reviewed (nor seen)
    fay = member("fay")
    talk(fay, ada)
    handle_event(
        make_event(type="auth.user.banned", key=ada.user.id, data={"until": None, "reason": "x"})
    )
    assert review(fay, "ada").status_code == 404


def test_bad_input_names_the_field(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    set_up(ada)
    talk(bob, ada)
    for rating in (6, 0, "five", 4.5, None, True):
        r = review(bob, "ada", rating)
        assert r.status_code == 400 and "rating" in r.json()["fields"], rating
    r = review(bob, "ada", 6, HTTP_ACCEPT_LANGUAGE="ru")
    assert r.json()["fields"]["rating"][0]["message"] == "Целое число от 1 до 5."
    r = review(bob, "ada", 5, "x" * (settings.SOCIAL_MENTOR_REVIEW_MAX_LENGTH + 1))
    assert r.status_code == 400 and "text" in r.json()["fields"]
    rid = review(bob, "ada", 5).json()["id"]
    assert bob.patch(f"{API}/reviews/{rid}/", {"rating": 7}, format="json").status_code == 400
    r = ada.post(f"{API}/reviews/{rid}/answer/", {"text": " "}, format="json")
    assert r.status_code == 400 and "text" in r.json()["fields"]


def test_moderator_removes_with_a_reason_the_author_sees(
    member: Any, anon: Any, client_for: Any
) -> None:
    ada, bob = member("ada"), member("bob")
    set_up(ada)
    talk(bob, ada)
    rid = review(bob, "ada", 1, "Spam spam").json()["id"]
    moderator = client_for(role="moderator")
    # neither the mentor nor a stranger may remove it
    for client in (ada, member("cat")):
        r = client.post(f"{API}/reviews/{rid}/remove/", {"reason": "x"}, format="json")
        assert r.status_code == 403
    r = moderator.post(f"{API}/reviews/{rid}/remove/", {"reason": ""}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["fields"]
    r = moderator.post(f"{API}/reviews/{rid}/remove/", {"reason": "Spam"}, format="json")
    assert r.status_code == 200 and r.json()["removed_reason"] == "Spam"
    assert rating_of(anon, "ada")["count"] == 0
    assert anon.get(f"{API}/ada/reviews/").json()["results"] == []
    assert anon.get(f"{API}/reviews/{rid}/").status_code == 404
    assert ada.get(f"{API}/reviews/{rid}/").status_code == 404
    mine = bob.get(f"{API}/reviews/{rid}/").json()
    assert mine["removed_at"] and mine["removed_reason"] == "Spam"
    # still one per student
    assert review(bob, "ada").status_code == 409


def test_best_reviews_and_lists_hide_what_the_viewer_may_not_see(member: Any, anon: Any) -> None:
    ada, eve, bob, cat = member("ada"), member("eve"), member("bob"), member("cat")
    set_up(ada)
    set_up(eve)
    for student, mentor, rating, text in (
        (bob, ada, 5, "Superb"),
        (cat, ada, 3, "Fine"),
        (bob, eve, 4, "Good"),
        (cat, eve, 5, ""),
    ):
        talk(student, mentor)
        assert review(student, mentor.page.handle, rating, text).status_code == 201
    best = anon.get(f"{API}/reviews/best/").json()["results"]
    assert [(r["mentor"]["page"]["handle"], r["text"]) for r in best] == [
        ("eve", "Good"),
        ("ada", "Superb"),
    ]
    # eve blocks bob: eve's reviews and her profile go from bob's lists
    eve.post("/api/social/pages/eve/blocks/", {"user_id": str(bob.user.id)}, format="json")
    best = bob.get(f"{API}/reviews/best/").json()["results"]
    assert [r["mentor"]["page"]["handle"] for r in best] == ["ada"]
    assert bob.get(f"{API}/eve/reviews/").status_code == 404
    # a banned reviewer's reviews are hidden (as their comments are)
    handle_event(
        make_event(type="auth.user.banned", key=bob.user.id, data={"until": None, "reason": "x"})
    )
    assert [r["text"] for r in anon.get(f"{API}/ada/reviews/").json()["results"]] == ["Fine"]


def test_review_lists_query_count_is_bounded(
    member: Any, anon: Any, django_assert_max_num_queries: Any
) -> None:
    ada = member("ada")
    set_up(ada)
    for i in range(6):
        student = member(f"student{i}")
        talk(student, ada)
        assert review(student, "ada", 5, f"Review {i}").status_code == 201
    viewer = member("viewer")
    for client in (anon, viewer):
        with django_assert_max_num_queries(4):
            r = client.get(f"{API}/ada/reviews/?page_size=5")
        assert r.status_code == 200 and len(r.json()["results"]) == 5
        with django_assert_max_num_queries(3):
            r = client.get(f"{API}/reviews/best/?page_size=5")
        assert r.status_code == 200 and len(r.json()["results"]) == 5


def _recount(mentor_id: Any) -> dict[str, Any]:
    live = Review.objects.filter(mentor_id=mentor_id, removed_at__isnull=True)
    return live.aggregate(
        n=Count("id"),
        total=Sum("rating"),
        **{f"r{i}": Count("id", filter=Q(rating=i)) for i in range(1, 6)},
    )


@pytest.mark.django_db(transaction=True)
def test_aggregate_equals_a_recount_after_200_concurrent_writes(make_user: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads need a database server (SQLite in tests is one in-memory file)")
    from social.chat.services import send_message, start_direct
    from social.pages.services import create_personal_page

    mentor_user = make_user(username="mentor")
    services.set_profile(user=mentor_user, subjects=["python"], languages=["en"])
    mentor = MentorProfile.objects.get(user_id=mentor_user.id)
    students = [make_user(username=f"s{i}") for i in range(200)]
    for student in students:
        create_personal_page(user_id=student.id, username=student.username)
        conversation, _ = start_direct(actor_id=student.id, user_id=mentor_user.id)
        send_message(conversation=conversation, membership=None, viewer=mentor_user, text="hi")
    # 50 students already reviewed: their writes are edits and deletes
    existing = {}
    for student in students[:50]:
        existing[student.id] = services.create_review(
            mentor=mentor, student_id=student.id, rating=3, text=""
        )
    errors: list[BaseException] = []
    start = threading.Barrier(8)
    local = threading.local()

    def write(item: tuple[int, Any]) -> None:
        index, student = item
        rating = index * 7 % 5 + 1  # spread over 1..5
        try:
            if not getattr(local, "started", False):
                local.started = True
                start.wait(timeout=30)
            if student.id not in existing:
                services.create_review(mentor=mentor, student_id=student.id, rating=rating)
            elif index % 2:
                services.update_review(
                    review=existing[student.id], actor_id=student.id, rating=rating
                )
            else:
                services.delete_review(review=existing[student.id], actor_id=student.id)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    # 200 writes (150 new reviews, 50 edits or deletes) on 8 threads, each with its own
    # connection; the first write of each thread waits for the others (the barrier)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, enumerate(students)))
    assert errors == []
    mentor.refresh_from_db()
    recount = _recount(mentor.id)
    assert recount["n"] > 150
    assert mentor.reviews_count == recount["n"] and mentor.rating_sum == recount["total"]
    assert [getattr(mentor, f"rating_{i}") for i in range(1, 6)] == [
        recount[f"r{i}"] for i in range(1, 6)
    ]
    totals = RatingTotals.objects.get(id=1)
    assert (totals.reviews_count, totals.rating_sum) == (recount["n"], recount["total"])
    prior = recount["total"] / recount["n"]
    assert mentor.rank == pytest.approx(
        services.bayesian_rank(rating_sum=recount["total"], count=recount["n"], prior_mean=prior)
    )
    assert mentor.average == pytest.approx(recount["total"] / recount["n"])


def test_a_deleted_account_takes_its_reviews_and_profile(member: Any, anon: Any) -> None:
    ada, eve, bob, cat = member("ada"), member("eve"), member("bob"), member("cat")
    set_up(ada)
    set_up(eve)
    for student, mentor, rating in ((bob, ada, 5), (cat, ada, 1), (bob, eve, 4), (ada, eve, 2)):
        talk(student, mentor)
        assert review(student, mentor.page.handle, rating).status_code == 201
    handle_event(make_event(type="auth.user.deleted", key=bob.user.id, data={}))
    assert rating_of(anon, "ada")["count"] == 1 and rating_of(anon, "eve")["count"] == 1
    totals = RatingTotals.objects.get(id=1)
    assert (totals.reviews_count, totals.rating_sum) == (2, 3)
    # a deleted mentor: gone, and out of the totals; a deleted student cannot review
    handle_event(make_event(type="auth.user.deleted", key=ada.user.id, data={}))
    assert anon.get(f"{API}/ada/").status_code == 404
    totals.refresh_from_db()
    assert (totals.reviews_count, totals.rating_sum) == (0, 0)  # eve's review by ada went too
    assert [m["page"]["handle"] for m in anon.get(f"{API}/").json()["results"]] == ["eve"]


def test_ranks_follow_the_global_mean_after_the_refresh(member: Any, anon: Any) -> None:
    from social.mentors.tasks import refresh_mentor_ranks

    ada, eve, bob, cat = member("ada"), member("eve"), member("bob"), member("cat")
    set_up(ada)
    set_up(eve)
    talk(bob, ada)
    assert review(bob, "ada", 5).status_code == 201  # m = 5 when ada's rank is written
    for student in (bob, cat):
        talk(student, eve)
        assert review(student, "eve", 1).status_code == 201  # m falls to 7/3
    assert rating_of(anon, "ada")["rank"] == pytest.approx(5.0)
    assert refresh_mentor_ranks() == 2
    prior = 7 / 3
    assert rating_of(anon, "ada")["rank"] == pytest.approx((10 * prior + 5) / 11)
    assert rating_of(anon, "eve")["rank"] == pytest.approx((10 * prior + 2) / 12)
    # one 5.0 still ranks above two 1.0s
    assert [m["page"]["handle"] for m in anon.get(f"{API}/").json()["results"]] == ["ada", "eve"]
