"""NextGen Learn's workflow end to end, through nginx (issue 21's acceptance journey): a mentor
sets up a profile → posts a lesson video → the media worker converts it and the post shows the
renditions, the mentor is told → students like and comment → a student posts a learning request
→ it matches the mentor first among the subject's mentors, and the mentor is told live → the
mentor offers, the student is told live and accepts → they talk in the conversation it opened →
the student reviews the mentor, who is told live → the rating changes from none to 5.0 → search
by subject and rating finds the mentor first, before a mentor rated 4, and leaves out an unrated
one.

Several mentors of the same subject share a bio word of this run's own, so the searches see only
this journey's mentors even on the suite's shared database.

On the real stack (PostgreSQL, Kafka, Redis, S3; the media Celery worker started here, as
test_media.py does, since the suite's stack runs without workers) and on `make run`'s embedded
defaults (SQLite, the embedded event log, the SQLite channel layer, local media files) with
media's Celery worker on the filesystem broker: the embedded stack converts video too, so the
journey is the same on both.
"""

from __future__ import annotations

import secrets
import shutil
import string
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from harness import Stack, api_ok, bearer, call_api, register_and_login, wait_for
from harness import embedded_stack as embedded_stack_of
from test_media import _start_worker, _stop, two_second_clip
from test_mentors import _frame_of
from test_notifications import open_socket

pytestmark = [
    pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is not installed"),
    # A long journey with a video conversion on a loaded machine: beyond the suite's 300 s.
    pytest.mark.timeout(900),
]

MENTORS = "social/mentors"
REQUESTS = "social/learning-requests"
SUBJECT = "chemistry"
# Conversion shares two cores with the whole stack (and, in CI, with everything else).
CONVERSION_TIMEOUT = 300


def _notification(gateway: str, account: dict[str, Any], kind: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        rows = api_ok(gateway, account, "GET", "notifications/?page_size=50")["results"]
        return next((n for n in rows if n["type"] == kind), None)

    return wait_for(found, timeout=120, interval=1, what=f"a {kind} notification")


def _mentor(gateway: str, account: dict[str, Any], **profile: Any) -> dict[str, Any]:
    return api_ok(gateway, account, "PUT", f"{MENTORS}/me/", subjects=[SUBJECT], **profile)


def _talk(gateway: str, student: dict[str, Any], mentor: dict[str, Any]) -> str:
    """A direct conversation in which the mentor answered: an interaction that allows a review."""

    def started() -> Any:
        r = call_api(gateway, student, "POST", "social/chat/direct/", user_id=mentor["user"]["id"])
        return r.json()["id"] if r.status_code in (200, 201) else None

    conversation = wait_for(started, timeout=60, what="the direct conversation")
    messages = f"social/chat/conversations/{conversation}/messages/"
    api_ok(gateway, student, "POST", messages, text="Could you explain titration?")
    api_ok(gateway, mentor, "POST", messages, text="Of course.")
    return conversation


def _journey(gateway: str) -> None:
    mentor, rival, newcomer, student, classmate = (register_and_login(gateway) for _ in range(5))
    mentor_id, rival_id, newcomer_id = (a["user"]["id"] for a in (mentor, rival, newcomer))
    # A word only this run's mentors have in their bios (letters only: stemmed alike everywhere).
    word = "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
    bio = f"Chemistry lessons: {word}"

    # 1. Three mentors of one subject; ours speaks Ukrainian and knows titration.
    profile = _mentor(
        gateway,
        mentor,
        tags=["titration"],
        languages=["uk", "en"],
        years_experience=6,
        bio=bio,
        availability="Weekday evenings",
    )
    assert [s["code"] for s in profile["subjects"]] == [SUBJECT]
    assert profile["rating"]["count"] == 0
    _mentor(gateway, rival, languages=["en"], years_experience=2, bio=bio)
    _mentor(gateway, newcomer, languages=["en"], years_experience=1, bio=bio)

    # 2. A lesson video on the mentor's page.
    uploaded = requests.post(
        f"{gateway}/api/media/files/",
        headers=bearer(mentor),
        files={"file": ("lesson.mp4", two_second_clip(), "application/octet-stream")},
        data={"purpose": "post_video"},
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    posts = f"social/pages/{profile['page']['id']}/posts/"

    def posted() -> Any:
        r = call_api(
            gateway, mentor, "POST", posts, text="Lesson 1: titration", media_ids=[file_id]
        )
        return r.json() if r.status_code == 201 else None

    # The media worker has to start and probe it, and social to hear of it over the bus.
    post = wait_for(posted, timeout=180, interval=1, what="social to accept the video")
    assert file_id in post["videos"], post

    # 3. Converted: the post shows the rendition and the poster; the mentor is told.
    def shown() -> Any:
        body = api_ok(gateway, student, "GET", f"social/posts/{post['id']}/")
        video = body["videos"].get(file_id) or {}
        assert video.get("conversion") != "failed", video
        return video if video.get("conversion") == "ready" else None

    video = wait_for(
        shown, timeout=CONVERSION_TIMEOUT, interval=1, what="the post to show the converted video"
    )
    assert set(video["renditions"]) == {"360p"} and video["poster"]["url"], video
    played = requests.get(video["renditions"]["360p"]["url"], timeout=30)
    assert played.status_code == 200 and played.content[4:8] == b"ftyp"
    ready = _notification(gateway, mentor, "video_ready")
    assert ready["text"] == "Your video “lesson.mp4” is ready"

    # 4. Students like and comment; the mentor hears of the comments.
    for reader, text in ((student, "Clear, thank you!"), (classmate, "What about indicators?")):
        api_ok(gateway, reader, "POST", f"social/posts/{post['id']}/like/")
        api_ok(gateway, reader, "POST", f"social/posts/{post['id']}/comments/", text=text)
    seen = api_ok(gateway, student, "GET", f"social/posts/{post['id']}/")
    assert (seen["like_count"], seen["liked"], seen["comment_count"]) == (2, True, 2), seen
    comments = api_ok(gateway, mentor, "GET", f"social/posts/{post['id']}/comments/")["results"]
    assert sorted(c["text"] for c in comments) == ["Clear, thank you!", "What about indicators?"]
    assert _notification(gateway, mentor, "comment")["actor"]["id"] in {
        student["user"]["id"],
        classmate["user"]["id"],
    }

    # 5. A learning request: the mentor is told live, and is its best match of the three.
    with open_socket(gateway, mentor) as ws:

        def requested() -> Any:
            r = call_api(
                gateway,
                student,
                "POST",
                f"{REQUESTS}/",
                subject=SUBJECT,
                tags=["titration"],
                requirements="Acid-base titration before my exam",
                level="beginner",
                language="uk",
                deadline=(date.today() + timedelta(days=30)).isoformat(),
                visibility="private",
            )
            return r.json() if r.status_code == 201 else None

        request = wait_for(requested, timeout=60, what="the learning request")
        match_frame = _frame_of(ws, "learning_request_match")
    assert match_frame["notification"]["actor"]["id"] == student["user"]["id"]
    rid = request["id"]
    matches = api_ok(gateway, student, "GET", f"{REQUESTS}/{rid}/matches/?page_size=100")
    ours = [m for m in matches["results"] if m["mentor"]["user_id"] in (mentor_id, rival_id)]
    assert [m["mentor"]["user_id"] for m in ours] == [mentor_id, rival_id], ours
    reasons = [r["text"] for r in ours[0]["reasons"]]
    assert "Teaches Chemistry" in reasons and "Speaks Ukrainian" in reasons, reasons

    # 6. The mentor offers, the student is told live and accepts: a conversation of the two.
    with open_socket(gateway, student) as ws:
        offer = api_ok(
            gateway, mentor, "POST", f"{REQUESTS}/{rid}/offers/", message="Tomorrow at six?"
        )
        offered = _frame_of(ws, "learning_offer")
    assert offered["notification"]["actor"]["id"] == mentor_id
    api_ok(gateway, student, "POST", f"{REQUESTS}/{rid}/offers/{offer['id']}/accept/")
    request = api_ok(gateway, student, "GET", f"{REQUESTS}/{rid}/")
    assert request["status"] == "accepted" and request["conversation_id"], request

    # 7. They talk in it.
    messages = f"social/chat/conversations/{request['conversation_id']}/messages/"
    api_ok(gateway, student, "POST", messages, text="Hi! Tomorrow at six suits me.")
    api_ok(gateway, mentor, "POST", messages, text="Great, see you then.")
    history = api_ok(gateway, student, "GET", messages)["results"]
    assert [m["text"] for m in history][-2:] == [
        "Hi! Tomorrow at six suits me.",
        "Great, see you then.",
    ]

    # Meanwhile the classmate studied with the rival and rates them 4.
    _talk(gateway, classmate, rival)
    api_ok(gateway, classmate, "POST", f"{MENTORS}/{rival_id}/reviews/", rating=4, text="Good")

    def search(min_rating: str) -> list[str]:
        query = urlencode({"q": word, "subject": SUBJECT, "min_rating": min_rating})
        rows = api_ok(gateway, student, "GET", f"social/search/?{query}")["results"]
        return [m["user_id"] for m in rows]

    # Before the review: rated 4 or more is the rival alone; all three share the subject.
    assert search("4") == [rival_id]
    assert set(search("0")) == {mentor_id, rival_id, newcomer_id}
    before = api_ok(gateway, student, "GET", f"{MENTORS}/{mentor_id}/")["rating"]
    assert before["count"] == 0, before

    # 8. The student reviews the mentor; the mentor is told live.
    with open_socket(gateway, mentor) as ws:
        review = api_ok(
            gateway,
            student,
            "POST",
            f"{MENTORS}/{mentor_id}/reviews/",
            rating=5,
            text="Titration finally makes sense",
        )
        reviewed = _frame_of(ws, "mentor_reviewed")
    assert review["interaction"] == "learning_request"
    assert reviewed["notification"]["actor"]["id"] == student["user"]["id"]

    # 9. The rating changed.
    after = api_ok(gateway, student, "GET", f"{MENTORS}/{mentor_id}/")["rating"]
    assert (after["count"], after["average"]) == (1, 5.0), after
    assert after["distribution"]["5"] == 1 and after["rank"] > before["rank"], (before, after)
    rival_rating = api_ok(gateway, student, "GET", f"{MENTORS}/{rival_id}/")["rating"]
    assert after["rank"] > rival_rating["rank"], (after, rival_rating)

    # 10. Search by subject and rating finds the mentor first; the rival after; the unrated
    # newcomer only without a rating filter.
    assert search("4") == [mentor_id, rival_id]
    assert search("4.5") == [mentor_id]
    assert newcomer_id not in search("1")


def test_nextgen_journey_on_the_real_stack(
    gateway: str, stack_env: dict[str, str], var_dir: Path
) -> None:
    worker = _start_worker(stack_env, var_dir / "nextgen-media-worker.log")
    try:
        _journey(gateway)
    finally:
        _stop(worker)


@pytest.fixture(scope="module")
def embedded_gateway() -> Iterator[str]:
    """`make run`'s embedded defaults with media's Celery worker, which converts the video."""
    stack: Stack = embedded_stack_of("nextgen", workers_of=("media",))
    yield stack.url
    stack.stop()


def test_nextgen_journey_on_the_embedded_defaults(embedded_gateway: str) -> None:
    _journey(embedded_gateway)
