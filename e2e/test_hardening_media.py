"""Private media of a private page, end to end on the real stack (PostgreSQL, Kafka, S3, nginx):
the owner posts a private image; an approved follower gets a signed URL that works, a stranger
gets 404, and after unfollowing the follower gets 404 too. Access travels only as events
(social → Kafka → media), so the follower's answers are awaited."""

from __future__ import annotations

import hashlib
import io
import uuid
from typing import Any

import requests
from harness import register_and_login, wait_for
from PIL import Image


class Person:
    def __init__(self, gateway: str) -> None:
        self.gateway = gateway
        account = register_and_login(gateway)
        self.id = account["user"]["id"]
        self.headers = {"Authorization": f"Bearer {account['access']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.gateway}/api{path}", headers=self.headers, timeout=60, **kwargs
        )

    def ready(self) -> bool:
        """auth.user.registered reached social (the account is known there)."""
        me = self.call("GET", "/social/me/")
        return me.status_code == 200 and bool(me.json().get("personal_page"))


def _png(seed: str) -> bytes:
    pixels = hashlib.shake_256(seed.encode()).digest(64 * 48 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 48), pixels).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_private_pages_image_is_readable_by_its_approved_follower_only(gateway: str) -> None:
    owner, follower, stranger = Person(gateway), Person(gateway), Person(gateway)
    for person in (owner, follower, stranger):
        wait_for(person.ready, timeout=60, interval=0.3, what="the account in social (Kafka)")

    club = f"club_{uuid.uuid4().hex[:8]}"
    created = owner.call(
        "POST", "/social/pages/", json={"handle": club, "name": "Club", "is_private": True}
    )
    assert created.status_code == 201, created.text
    uploaded = owner.call(
        "POST",
        "/media/files/",
        files={"file": ("photo.png", _png(club), "application/octet-stream")},
        data={"purpose": "post_image", "visibility": "private"},
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    assert uploaded.json()["url"] is None

    # Social learns of the file from media.file.ready (Kafka): post once it accepts the id.
    def post() -> requests.Response | None:
        response = owner.call(
            "POST", f"/social/pages/{club}/posts/", json={"text": "ours", "media_ids": [file_id]}
        )
        return response if response.status_code == 201 else None

    wait_for(post, timeout=60, interval=0.5, what="social to accept the file (media.file.ready)")

    # Before approval the follower is a stranger too.
    asked = follower.call("POST", f"/social/pages/{club}/follow/")
    assert asked.status_code == 202, asked.text
    assert follower.call("GET", f"/media/files/{file_id}/url").status_code == 404
    approved = owner.call(
        "POST", f"/social/pages/{club}/requests/approve/", json={"user_ids": [follower.id]}
    )
    assert approved.json() == {"count": 1}, approved.text

    def signed() -> dict[str, Any] | None:
        response = follower.call("GET", f"/media/files/{file_id}/url")
        return response.json() if response.status_code == 200 else None

    issued = wait_for(signed, timeout=60, interval=0.3, what="the follower's access (Kafka)")
    assert issued["expires_at"] is not None  # a short-lived signed URL, never a plain one
    url = issued["url"]
    if url.startswith("/"):
        url = f"{gateway}{url}"
    fetched = requests.get(url, timeout=30)
    assert fetched.status_code == 200, fetched.text[:300]
    assert Image.open(io.BytesIO(fetched.content)).size == (64, 48)
    assert follower.call("GET", f"/media/files/{file_id}/").status_code == 200

    for response in (
        stranger.call("GET", f"/media/files/{file_id}/url"),
        stranger.call("GET", f"/media/files/{file_id}/"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "file_not_found"

    # Unfollowing ends it: no new signed URL (the one issued lives at most its few minutes).
    assert follower.call("DELETE", f"/social/pages/{club}/follow/").status_code == 204

    def refused() -> bool:
        return follower.call("GET", f"/media/files/{file_id}/url").status_code == 404

    wait_for(refused, timeout=60, interval=0.3, what="the revocation to reach media (Kafka)")
    assert follower.call("GET", f"/media/files/{file_id}/").status_code == 404
    assert owner.call("GET", f"/media/files/{file_id}/url").status_code == 200
