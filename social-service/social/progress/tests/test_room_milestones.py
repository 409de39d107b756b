"""A room's milestone (`tasks.room.milestone`) and the weekly cards summary: a post on the page of
each member who opted in, never naming a private room or a personal space, in their language,
once per event and member; followers' mutes apply. The weekly summary comes once per week, with
Sunday's study day or, for a week whose Sunday had none, with a later day's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.events.testing import example_event, handle_event
from social.posts.models import Post
from social.progress import services
from social.progress.texts import render

pytestmark = pytest.mark.django_db

API = "/api/social"


def _milestone(members: list[Any], *, number: int = 50, **data: Any) -> Any:
    fields = {
        "room_name": "Rocket team",
        "room_kind": "team",
        "private": False,
        "number": number,
        "reached_by": str(members[0].user.id),
        "member_ids": [str(m.user.id) for m in members],
        **data,
    }
    return example_event("tasks.room.milestone", **fields)


def _progress(client: Any) -> list[Any]:
    return list(Post.objects.filter(page=client.page, kind=Post.Kind.PROGRESS).order_by("id"))


def _feed(client: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/feed/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _opt_in(client: Any, **kinds: bool) -> None:
    response = client.patch(f"{API}/me/progress/", kinds or {"room_milestone": True}, format="json")
    assert response.status_code == 200, response.content


def test_off_by_default_and_mine_to_turn_on(member: Any, anon: Any) -> None:
    ada = member("ada")
    assert ada.get(f"{API}/me/progress/").json()["room_milestone"] is False
    handle_event(_milestone([ada]))
    assert _progress(ada) == []
    assert anon.patch(f"{API}/me/progress/", {"room_milestone": True}).status_code == 401
    bad = ada.patch(f"{API}/me/progress/", {"room_milestone": "yes please"}, format="json")
    assert bad.status_code == 400 and "room_milestone" in str(bad.json())
    _opt_in(ada)
    assert ada.get(f"{API}/me/progress/").json()["room_milestone"] is True


def test_each_opted_in_member_gets_a_post(member: Any) -> None:
    ada, bob, cyd = member("ada"), member("bob"), member("cyd")
    _opt_in(ada)
    _opt_in(cyd)
    event = _milestone([bob, ada, cyd])  # bob completed it, but did not opt in
    handle_event(event)
    assert _progress(bob) == []
    for person in (ada, cyd):
        [post] = _progress(person)
        assert post.text == "Our room “Rocket team” reached 50 completed tasks!"
        assert post.progress == {
            "kind": "room_milestone",
            "figures": {"tasks": 50},
            "names": {"room": "Rocket team"},
        }
    # Redelivered, even past the consumer's record: no second post for anyone.
    assert handle_event(event) is False
    services.room_milestone(event_id=event.id, data=event.data)
    assert Post.objects.filter(kind=Post.Kind.PROGRESS).count() == 2


def test_a_private_room_is_never_named(member: Any) -> None:
    ada, eve = member("ada"), member("eve")
    _opt_in(ada)
    eve.post(f"{API}/pages/ada/follow/")
    handle_event(_milestone([ada], number=10, private=True, room_name="Secret merger"))
    [post] = _progress(ada)
    assert post.text == "A private room I am in reached 10 completed tasks!"
    assert post.progress == {"kind": "room_milestone", "figures": {"tasks": 10}, "names": {}}
    [item] = _feed(eve)  # a follower, not a member of the room
    assert "Secret" not in str(item)
    assert not Post.objects.filter(text__contains="Secret").exists()


def test_an_event_without_the_private_flag_is_taken_as_private(member: Any) -> None:
    ada = member("ada")
    _opt_in(ada)
    event = _milestone([ada])
    del event.data["private"]
    services.room_milestone(event_id=event.id, data=event.data)
    assert "Rocket" not in _progress(ada)[0].text


def test_a_personal_space_is_not_named(member: Any) -> None:
    ada = member("ada")
    _opt_in(ada)
    handle_event(_milestone([ada], number=100, room_kind="personal", private=True))
    [post] = _progress(ada)
    assert post.text == "100 tasks completed in my personal space!"
    assert post.progress["names"] == {}


@pytest.mark.parametrize(
    ("language", "named", "private"),
    [
        (
            "ru",
            "Наша комната «Rocket team»: 50 выполненных задач!",
            "Приватная комната, в которой я состою: 50 выполненных задач!",
        ),
        (
            "uk",
            "Наша кімната «Rocket team»: 50 виконаних завдань!",
            "Приватна кімната, до якої я належу: 50 виконаних завдань!",
        ),
        (
            "en",
            "Our room “Rocket team” reached 50 completed tasks!",
            "A private room I am in reached 50 completed tasks!",
        ),
    ],
)
def test_the_texts_in_each_language(language: str, named: str, private: str) -> None:
    figures = {"tasks": 50}
    kind = "room_milestone"
    assert (
        render(kind=kind, figures=figures, names={"room": "Rocket team"}, language=language)
        == named
    )
    assert render(kind=kind, figures=figures, names={}, language=language) == private
    personal = render(kind=kind, figures=figures, names={}, language=language, variant="personal")
    assert "50" in personal and personal not in (named, private)


def test_followers_mutes_apply(member: Any) -> None:
    ada, bob, cyd = member("ada"), member("bob"), member("cyd")
    _opt_in(ada)
    for reader in (bob, cyd):
        reader.post(f"{API}/pages/ada/follow/")
    bob.put(f"{API}/pages/ada/progress-mute/")
    handle_event(_milestone([ada]))
    assert _feed(bob) == []
    assert [item["progress"]["kind"] for item in _feed(cyd)] == ["room_milestone"]


def test_an_unknown_or_banned_member_gets_no_post(member: Any) -> None:
    ada, bea = member("ada"), member("bea")
    _opt_in(ada)
    _opt_in(bea)
    bea.user.is_banned = True
    bea.user.save()
    ghost = uuid.uuid4()
    event = _milestone([ada, bea])
    event.data["member_ids"].append(str(ghost))
    handle_event(event)
    assert len(_progress(ada)) == 1 and _progress(bea) == []


# ---------------------------------------------------------------------------------------------
# The weekly cards summary: the person's week (Monday to Sunday of their study days), once


def _summary(user: Any, day: str, reviews: int = 10, duration_ms: int = 60_000) -> Any:
    return example_event(
        "habits.cards.review_summary",
        owner_id=str(user.id),
        day=day,
        reviews=reviews,
        duration_ms=duration_ms,
    )


def _weekly(client: Any) -> list[Any]:
    return [p for p in _progress(client) if p.progress["kind"] == "cards_weekly"]


def test_a_week_without_a_sunday_study_is_posted_with_a_later_day(member: Any) -> None:
    ada = member("ada")
    _opt_in(ada, cards_weekly=True)
    # Monday 2026-11-23 .. Saturday 2026-11-28 studied, Sunday 2026-11-29 not.
    handle_event(_summary(ada.user, "2026-11-23", reviews=4))
    handle_event(_summary(ada.user, "2026-11-28", reviews=6))
    assert _weekly(ada) == []
    handle_event(_summary(ada.user, "2026-12-01", reviews=3))  # the next Tuesday
    [post] = _weekly(ada)
    assert post.progress["figures"] == {"reviews": 10, "minutes": 2, "week_ending": "2026-11-29"}
    assert post.text == "Reviewed 10 cards last week in 2 min."
    handle_event(_summary(ada.user, "2026-12-03", reviews=2))
    assert len(_weekly(ada)) == 1  # the week is posted once


def test_a_week_is_posted_once_even_with_two_summaries_of_its_sunday(member: Any) -> None:
    """Two summaries of the same study day (a change of zone or day start can end it twice):
    still one weekly post, and the next day does not post that week again late."""
    ada = member("ada")
    _opt_in(ada, cards_weekly=True)
    handle_event(_summary(ada.user, "2026-12-02", reviews=5))
    handle_event(_summary(ada.user, "2026-12-06", reviews=5))
    handle_event(_summary(ada.user, "2026-12-06", reviews=8))
    handle_event(_summary(ada.user, "2026-12-07", reviews=1))
    [post] = _weekly(ada)
    assert post.progress["figures"]["week_ending"] == "2026-12-06"
    assert post.text == "Reviewed 10 cards this week in 2 min."


def test_a_week_before_the_opt_in_is_not_posted(member: Any) -> None:
    ada = member("ada")
    handle_event(_summary(ada.user, "2026-11-25"))
    _opt_in(ada, cards_weekly=True)
    handle_event(_summary(ada.user, "2026-12-01"))
    assert _weekly(ada) == []
