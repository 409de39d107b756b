"""A post carrying a lesson video shows its conversion: `pending` until media-service's
`media.video.ready` brings the MP4 renditions and poster (or `.failed`, the reason). Lists read
every video on the page in one query."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cotask_common.events.testing import example_event, handle_event, make_event

pytestmark = pytest.mark.django_db

API = "/api/social"


def _video(owner_id: Any) -> str:
    file_id = str(uuid.uuid4())
    handle_event(
        make_event(
            type="media.file.ready",
            key=file_id,
            data={"id": file_id, "owner_id": str(owner_id), "purpose": "post_video"},
        )
    )
    return file_id


def _converted(
    file_id: str, owner_id: Any, *, failed: bool = False, base: str = "http://cdn/"
) -> None:
    common: dict[str, Any] = {"id": file_id, "owner_id": str(owner_id), "purpose": "post_video"}
    if failed:
        handle_event(example_event("media.video.failed", **common, code="truncated_video"))
        return
    rendition = {"width": 1280, "height": 720, "content_type": "video/mp4", "size": 10}
    handle_event(
        example_event(
            "media.video.ready",
            **common,
            duration=60.0,
            poster={"url": f"{base}p.jpg", "width": 1280, "height": 720},
            renditions={
                "720p": {**rendition, "url": f"{base}720p.mp4"},
                "360p": {**rendition, "url": f"{base}360p.mp4", "width": 640, "height": 360},
            },
        )
    )


def test_the_post_shows_its_video_once_converted(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    video = _video(ada.user.id)
    created = ada.post(
        f"{API}/pages/ada/posts/", {"text": "Lesson 1", "media_ids": [video]}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["videos"] == {video: {"conversion": "pending"}}
    post_id = created.json()["id"]

    _converted(video, ada.user.id)
    shown = bob.get(f"{API}/posts/{post_id}/").json()["videos"][video]
    assert shown["conversion"] == "ready" and shown["duration"] == 60.0
    assert set(shown["renditions"]) == {"720p", "360p"}
    assert shown["renditions"]["360p"]["url"] == "http://cdn/360p.mp4"
    assert shown["poster"]["url"] == "http://cdn/p.jpg"


def test_a_failed_conversion_is_shown_with_its_reason(member: Any) -> None:
    ada = member("ada")
    video = _video(ada.user.id)
    post = ada.post(f"{API}/pages/ada/posts/", {"media_ids": [video]}, format="json").json()
    _converted(video, ada.user.id, failed=True)
    shown = ada.get(f"{API}/posts/{post['id']}/").json()["videos"]
    assert shown == {video: {"conversion": "failed", "code": "truncated_video"}}


def test_a_video_converted_before_social_heard_of_it_is_kept(member: Any) -> None:
    """The two topics are not ordered: `media.video.ready` may come first."""
    ada = member("ada")
    video = str(uuid.uuid4())
    _converted(video, ada.user.id)
    handle_event(
        make_event(
            type="media.file.ready",
            key=video,
            data={"id": video, "owner_id": str(ada.user.id), "purpose": "post_video"},
        )
    )
    post = ada.post(f"{API}/pages/ada/posts/", {"media_ids": [video]}, format="json")
    assert post.status_code == 201, post.json()
    assert post.json()["videos"][video]["conversion"] == "ready"


def test_a_page_of_video_posts_reads_the_videos_in_one_query(
    member: Any, django_assert_max_num_queries: Any
) -> None:
    ada, bob = member("ada"), member("bob")
    for index in range(5):
        video = _video(ada.user.id)
        ada.post(f"{API}/pages/ada/posts/", {"media_ids": [video]}, format="json")
        if index % 2:
            _converted(video, ada.user.id)
    with django_assert_max_num_queries(6):
        response = bob.get(f"{API}/pages/ada/posts/?page_size=5")
    rows = response.json()["results"]
    assert len(rows) == 5
    assert sorted(v["conversion"] for r in rows for v in r["videos"].values()) == [
        "pending", "pending", "pending", "ready", "ready",
    ]  # fmt: skip


def test_the_feed_shows_the_conversion_of_a_card_cached_before_it(member: Any) -> None:
    ada, bob = member("ada"), member("bob")
    assert bob.post(f"{API}/pages/ada/follow/").status_code in (200, 201)
    video = _video(ada.user.id)
    ada.post(f"{API}/pages/ada/posts/", {"text": "Lesson", "media_ids": [video]}, format="json")
    ada.post(f"{API}/pages/ada/posts/", {"text": "no video"}, format="json")
    [plain, first] = bob.get(f"{API}/feed/").json()["results"]
    assert first["videos"] == {video: {"conversion": "pending"}} and plain["videos"] == {}
    _converted(video, ada.user.id)  # the card stays cached; its videos are read per page
    [_plain, first] = bob.get(f"{API}/feed/").json()["results"]
    assert first["videos"][video]["conversion"] == "ready"
    assert set(first["videos"][video]["renditions"]) == {"720p", "360p"}


def test_local_media_paths_are_shown_as_absolute_urls_wherever_posts_are(member: Any) -> None:
    """On local storage (the embedded default) media's event carries paths on the gateway
    (`/media/public/...`); a post shows them as URLs, as media-service's own API does (they
    were once shown as bare paths)."""
    ada, bob = member("ada"), member("bob")
    assert bob.post(f"{API}/pages/ada/follow/").status_code in (200, 201)
    video = _video(ada.user.id)
    created = ada.post(
        f"{API}/pages/ada/posts/", {"text": "Lesson absolute", "media_ids": [video]}, format="json"
    ).json()
    _converted(video, ada.user.id, base="/media/public/v/")
    _converted(str(uuid.uuid4()), ada.user.id)  # an absolute URL (S3, a CDN) is kept as it is

    def urls(post: dict[str, Any]) -> set[str]:
        shown = post["videos"][video]
        return {shown["poster"]["url"]} | {r["url"] for r in shown["renditions"].values()}

    expected = {
        f"http://testserver/media/public/v/{name}" for name in ("p.jpg", "720p.mp4", "360p.mp4")
    }
    assert urls(bob.get(f"{API}/posts/{created['id']}/").json()) == expected
    assert urls(bob.get(f"{API}/pages/ada/posts/").json()["results"][0]) == expected
    assert urls(bob.get(f"{API}/feed/").json()["results"][0]) == expected
    found = bob.get(f"{API}/search/", {"type": "posts", "q": "absolute"}).json()["results"]
    assert urls(found[0]) == expected
    again = ada.post(f"{API}/pages/ada/posts/", {"media_ids": [video]}, format="json").json()
    assert urls(again) == expected
