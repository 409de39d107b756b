"""Progress posts: each kind becomes a post on the person's personal page only when they opted
in, in their language, once per event; a room that does not share leaks nothing; followers can
mute a person's progress posts; only the person changes their settings; a banned or deleted
account gets no post. Events built from their declarations, through the consumer's path."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.events.testing import example_event, handle_event
from cotask_common.users.selectors import invalidate_restrictions
from social.posts.models import Post
from social.progress import services
from social.progress.models import ProgressMute, ProgressSettings

pytestmark = pytest.mark.django_db

API = "/api/social"
ALL_ON = {
    "task_completed": True,
    "streak_milestone": True,
    "cards_daily": True,
    "cards_weekly": True,
    "plan_accepted": True,
    "room_milestone": True,
}


def _completed(user: Any, *, share: bool = True, **data: Any) -> Any:
    fields = {
        "completed_by": str(user.id),
        "title": "Ship the release #launch @bob",
        "room_name": "Rocket team",
        "room_kind": "team",
        "share_progress": share,
        **data,
    }
    return example_event("tasks.task.completed", **fields)


def _streak(user: Any, length: int = 30, unit: str = "day") -> Any:
    return example_event(
        "habits.streak.milestone",
        owner_id=str(user.id),
        habit_name="Morning run",
        length=length,
        streak_unit=unit,
    )


def _summary(user: Any, day: str, reviews: int = 40, duration_ms: int = 600_000) -> Any:
    return example_event(
        "habits.cards.review_summary",
        owner_id=str(user.id),
        day=day,
        reviews=reviews,
        duration_ms=duration_ms,
    )


def _plan(user: Any, steps: int = 4) -> Any:
    return example_event(
        "tasks.plan.accepted",
        owner_id=str(user.id),
        subtask_ids=[str(uuid.uuid4()) for _ in range(steps)],
    )


def _progress(client: Any) -> list[Any]:  # `progress` is JSON: indexed freely
    return list(Post.objects.filter(page=client.page, kind=Post.Kind.PROGRESS).order_by("id").all())


def _feed(client: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/feed/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def ada(member: Any) -> Any:
    client = member("ada")
    assert client.patch(f"{API}/me/progress/", ALL_ON, format="json").status_code == 200
    return client


# ---------------------------------------------------------------------------------------------
# Each kind, on and off


def test_everything_is_off_by_default(member: Any) -> None:
    ada = member("ada")
    body = ada.get(f"{API}/me/progress/").json()
    assert body == {**dict.fromkeys(ALL_ON, False), "language": "en"}
    for event in (_completed(ada.user), _streak(ada.user), _summary(ada.user, "2026-12-06")):
        handle_event(event)
    handle_event(_plan(ada.user))
    assert _progress(ada) == []


def test_a_completed_task_of_a_sharing_room(ada: Any) -> None:
    handle_event(_completed(ada.user))
    [post] = _progress(ada)
    assert post.text == "Completed “Ship the release #launch @bob” in Rocket team."
    assert post.progress == {
        "kind": "task_completed",
        "figures": {},
        "names": {"title": "Ship the release #launch @bob", "room": "Rocket team"},
    }
    # The title's hashtag and mention are text, not tags: nobody is told.
    assert post.tags == [] and post.mentions == []


def test_a_room_that_does_not_share_leaks_nothing(ada: Any, member: Any) -> None:
    handle_event(_completed(ada.user, share=False))
    handle_event(_completed(ada.user, share=False, title="Secret merger"))
    old = _completed(ada.user)
    del old.data["share_progress"]  # published before rooms could share: not shareable
    handle_event(old)
    assert _progress(ada) == []
    assert not Post.objects.filter(text__contains="Rocket").exists()
    assert not Post.objects.filter(text__contains="Secret").exists()


def test_a_private_rooms_task_says_neither_title_nor_room(ada: Any, member: Any) -> None:
    bob = member("bob")
    bob.post(f"{API}/pages/ada/follow/")
    handle_event(_completed(ada.user, private=True, title="Secret merger", room_name="Vault"))
    [post] = _progress(ada)
    assert post.text == "Completed a task in a private room."
    assert post.progress == {"kind": "task_completed", "figures": {}, "names": {}}
    [item] = _feed(bob)
    assert "Secret" not in str(item) and "Vault" not in str(item)


def test_a_personal_space_task_names_no_room(ada: Any) -> None:
    handle_event(_completed(ada.user, room_kind="personal", room_name="Personal space"))
    [post] = _progress(ada)
    assert post.text == "Completed “Ship the release #launch @bob”."
    assert "room" not in post.progress["names"]


def test_a_streak_milestone_in_days_and_in_weeks(ada: Any) -> None:
    handle_event(_streak(ada.user, 30))
    handle_event(_streak(ada.user, 7, unit="week"))
    first, second = _progress(ada)
    assert first.text == "A 30-day streak of “Morning run”!"
    assert first.progress["figures"] == {"days": 30}
    assert second.progress["figures"] == {"weeks": 7}


def test_a_daily_and_a_weekly_cards_summary(ada: Any) -> None:
    # Monday 2026-11-30 to Sunday 2026-12-06; the week's post comes with Sunday's summary.
    handle_event(_summary(ada.user, "2026-11-30", reviews=10, duration_ms=120_000))
    handle_event(_summary(ada.user, "2026-12-02", reviews=1, duration_ms=30_000))
    handle_event(_summary(ada.user, "2026-12-06", reviews=30, duration_ms=900_000))
    posts = _progress(ada)
    assert [p.progress["kind"] for p in posts] == [
        "cards_daily",
        "cards_daily",
        "cards_daily",
        "cards_weekly",
    ]
    assert posts[1].text == "Reviewed 1 card today in 1 min."
    assert posts[0].progress["figures"] == {"reviews": 10, "minutes": 2, "day": "2026-11-30"}
    assert posts[3].progress["figures"] == {
        "reviews": 41,
        "minutes": 18,
        "week_ending": "2026-12-06",
    }
    assert posts[3].text == "Reviewed 41 cards this week in 18 min."


def test_only_the_weekly_summary_when_only_it_is_on(member: Any) -> None:
    ada = member("ada")
    ada.patch(f"{API}/me/progress/", {"cards_weekly": True}, format="json")
    handle_event(_summary(ada.user, "2026-12-05", reviews=5))
    handle_event(_summary(ada.user, "2026-12-06", reviews=7))
    [post] = _progress(ada)
    assert post.progress["kind"] == "cards_weekly" and post.progress["figures"]["reviews"] == 12


def test_an_accepted_plan_says_how_many_steps_only(ada: Any) -> None:
    handle_event(_plan(ada.user, steps=5))
    [post] = _progress(ada)
    assert post.text == "Turned a goal into a plan of 5 steps."
    assert post.progress == {"kind": "plan_accepted", "figures": {"steps": 5}, "names": {}}


def test_turning_a_kind_off_stops_its_posts(ada: Any) -> None:
    ada.patch(f"{API}/me/progress/", {"streak_milestone": False}, format="json")
    handle_event(_streak(ada.user))
    handle_event(_plan(ada.user))
    assert [p.progress["kind"] for p in _progress(ada)] == ["plan_accepted"]


# ---------------------------------------------------------------------------------------------
# Language and idempotency


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "Серия «Morning run»: 30 дней подряд!"),
        ("uk", "Серія «Morning run»: 30 днів поспіль!"),
    ],
)
def test_written_in_the_persons_language(ada: Any, language: str, expected: str) -> None:
    handle_event(
        example_event(
            "auth.user.updated",
            id=str(ada.user.id),
            language=language,
            username="ada",
            is_active=True,
            role="user",
        )
    )
    body = ada.get(f"{API}/me/progress/").json()
    assert body.get("language") == language, body
    handle_event(_streak(ada.user))
    [post] = _progress(ada)
    assert post.text == expected


def test_the_tokens_language_until_auth_tells(member: Any, client_for: Any) -> None:
    ada = member("ada")
    client = client_for(ada.user, lang="uk")
    client.patch(f"{API}/me/progress/", {"plan_accepted": True}, format="json")
    handle_event(_plan(ada.user, steps=1))
    assert _progress(ada)[0].text == "Ціль перетворено на план: 1 крок."


def test_a_redelivered_event_makes_no_second_post(ada: Any) -> None:
    event = _streak(ada.user)
    assert handle_event(event) is True
    assert handle_event(event) is False
    # Even past the consumer's record of processed events: the post remembers its event.
    assert services.streak_milestone(event_id=event.id, data=event.data) is None
    summary = _summary(ada.user, "2026-12-06")
    handle_event(summary)
    services.review_summary(event_id=summary.id, data=summary.data)
    assert len(_progress(ada)) == 3  # the streak, the day, the week


# ---------------------------------------------------------------------------------------------
# Who gets posts


def test_a_banned_a_deactivated_or_a_deleted_account_gets_no_post(
    member: Any, client_for: Any
) -> None:
    people = [member(name) for name in ("bea", "dan", "del")]
    for person in people:
        person.patch(f"{API}/me/progress/", ALL_ON, format="json")
    people[0].user.is_banned = True
    people[1].user.is_deactivated = True
    people[2].user.is_deleted = True
    for person in people:
        person.user.save()
        handle_event(_streak(person.user))
        assert _progress(person) == []


def test_a_blocked_page_or_an_unknown_person_gets_no_post(ada: Any) -> None:
    ada.page.is_blocked = True
    ada.page.save(update_fields=["is_blocked"])
    handle_event(_streak(ada.user))
    stranger = uuid.uuid4()
    handle_event(example_event("habits.streak.milestone", owner_id=str(stranger), length=7))
    assert Post.objects.filter(kind=Post.Kind.PROGRESS).count() == 0


def test_a_deleted_account_loses_its_settings_and_mutes(ada: Any, member: Any) -> None:
    bob = member("bob")
    bob.put(f"{API}/pages/ada/progress-mute/")
    handle_event(example_event("auth.user.deleted", id=str(ada.user.id)))
    assert not ProgressSettings.objects.filter(user_id=ada.user.id).exists()
    assert not ProgressMute.objects.exists()


# ---------------------------------------------------------------------------------------------
# In the feed: liked, commented, deleted like any post; muted per follower


def test_followers_see_it_and_treat_it_like_any_post(ada: Any, member: Any) -> None:
    bob = member("bob")
    assert bob.post(f"{API}/pages/ada/follow/").status_code == 201
    handle_event(_streak(ada.user))
    [item] = _feed(bob)
    assert item["kind"] == "progress"
    assert item["progress"]["figures"] == {"days": 30}
    url = f"{API}/posts/{item['id']}/"
    assert bob.post(f"{url}like/").status_code == 200
    assert bob.post(f"{url}comments/", {"text": "Well done!"}, format="json").status_code == 201
    item = _feed(bob)[0]
    assert item["like_count"] == 1 and item["comment_count"] == 1 and item["liked"] is True
    edit = ada.patch(url, {"text": "I ran 31 days"}, format="json")
    assert edit.status_code == 409 and edit.json()["code"] == "progress_post"
    assert bob.delete(url).status_code == 403
    assert ada.delete(url).status_code == 204
    assert _feed(bob) == []


def test_a_private_page_shows_its_progress_to_approved_followers_only(
    ada: Any, member: Any
) -> None:
    ada.patch(f"{API}/pages/ada/", {"is_private": True}, format="json")
    bob, eve = member("bob"), member("eve")
    bob.post(f"{API}/pages/ada/follow/")
    eve.post(f"{API}/pages/ada/follow/")  # asks; never approved
    ada.post(f"{API}/pages/ada/requests/approve/", {"user_ids": [str(bob.user.id)]}, format="json")
    handle_event(_completed(ada.user))
    assert [p["kind"] for p in _feed(bob)] == ["progress"]
    assert _feed(eve) == []
    hidden = eve.get(f"{API}/pages/ada/posts/")
    assert hidden.status_code == 403 or hidden.json().get("results") == []


def test_a_follower_mutes_and_unmutes_a_persons_progress(ada: Any, member: Any) -> None:
    bob, cyd = member("bob"), member("cyd")
    for reader in (bob, cyd):
        reader.post(f"{API}/pages/ada/follow/")
    ada.post(f"{API}/pages/ada/posts/", {"text": "an ordinary post"}, format="json")
    handle_event(_streak(ada.user))
    handle_event(_plan(ada.user))
    assert len(_feed(bob)) == 3

    muted = bob.put(f"{API}/pages/ada/progress-mute/")
    assert muted.status_code == 200 and muted.json() == {"muted": True, "changed": True}
    assert bob.put(f"{API}/pages/ada/progress-mute/").json()["changed"] is False
    assert [p["kind"] for p in _feed(bob)] == ["post"]
    assert len(_feed(cyd)) == 3  # one reader's mute is theirs alone
    assert len(_feed(ada)) == 3  # and the person still sees their own
    assert [
        m["person"]["username"] for m in bob.get(f"{API}/me/progress/mutes/").json()["results"]
    ] == ["ada"]

    unmuted = bob.delete(f"{API}/pages/ada/progress-mute/")
    assert unmuted.json() == {"muted": False, "changed": True}
    assert len(_feed(bob)) == 3


def test_the_feed_with_mutes_reads_in_bounded_queries(
    member: Any, django_assert_max_num_queries: Any
) -> None:
    bob = member("bob")
    authors = [member(f"author{i}") for i in range(4)]
    for author in authors:
        author.patch(f"{API}/me/progress/", ALL_ON, format="json")
        bob.post(f"{API}/pages/{author.user.username}/follow/")
        for length in (7, 30, 100):
            handle_event(_streak(author.user, length))
    _feed(bob)  # warm
    # The timeline's page, the reader's mutes among the authors, their likes: not per row.
    with django_assert_max_num_queries(3):
        assert len(_feed(bob)) == 12
    for author in authors[:3]:
        bob.put(f"{API}/pages/{author.user.username}/progress-mute/")
    _feed(bob)  # warm again: the mutes' writes made nothing stale, but read as a reader would
    with django_assert_max_num_queries(3):
        assert len(_feed(bob)) == 3


# ---------------------------------------------------------------------------------------------
# Permissions and input


def test_only_i_change_my_settings(ada: Any, member: Any, anon: Any, client_for: Any) -> None:
    bob = member("bob")
    bob.patch(f"{API}/me/progress/", {"plan_accepted": False}, format="json")
    assert ada.get(f"{API}/me/progress/").json()["plan_accepted"] is True
    assert anon.get(f"{API}/me/progress/").status_code == 401
    assert anon.patch(f"{API}/me/progress/", {"plan_accepted": True}).status_code == 401
    banned = member("bill")
    type(banned.user).objects.filter(id=banned.user.id).update(is_banned=True)
    invalidate_restrictions()
    assert banned.patch(f"{API}/me/progress/", ALL_ON, format="json").status_code == 403
    assert not ProgressSettings.objects.filter(user_id=banned.user.id).exists()


def test_bad_settings_name_their_field(ada: Any) -> None:
    response = ada.patch(f"{API}/me/progress/", {"cards_daily": "often"}, format="json")
    assert response.status_code == 400
    assert "cards_daily" in str(response.json())


def test_mutes_are_my_own_and_reveal_no_hidden_page(
    ada: Any, member: Any, anon: Any, page_of: Any
) -> None:
    bob = member("bob")
    assert anon.put(f"{API}/pages/ada/progress-mute/").status_code == 401
    missing = bob.put(f"{API}/pages/nobody-here/progress-mute/")
    ada.page.is_blocked = True
    ada.page.save(update_fields=["is_blocked"])
    hidden = bob.put(f"{API}/pages/ada/progress-mute/")
    assert hidden.status_code == missing.status_code == 404
    own = bob.put(f"{API}/pages/bob/progress-mute/")
    assert own.status_code == 400 and "ref" in str(own.json())
    assert not ProgressMute.objects.exists()


def test_my_mutes_are_paginated_in_bounded_queries(
    member: Any, django_assert_max_num_queries: Any
) -> None:
    bob = member("bob")
    for i in range(6):
        member(f"person{i}")
        bob.put(f"{API}/pages/person{i}/progress-mute/")
    bob.get(f"{API}/me/progress/mutes/")
    with django_assert_max_num_queries(4):
        first = bob.get(f"{API}/me/progress/mutes/?page_size=4").json()
    assert len(first["results"]) == 4
    second = bob.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
