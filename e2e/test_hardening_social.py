"""Hardening of social and its alerts, end to end (real Kafka, PostgreSQL, Redis, nginx):
the personal page is there from the account's first request, and new-post alerts can be turned
on only for a page one follows, stop with the follow, and answer like a missing page otherwise."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from harness import register_and_login, wait_for


def auth(account: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['access']}"}


def me(gateway: str, account: dict[str, Any]) -> dict[str, Any]:
    response = requests.get(f"{gateway}/api/social/me/", headers=auth(account), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def alert(gateway: str, account: dict[str, Any], page_id: str) -> tuple[int, dict[str, Any]]:
    response = requests.put(
        f"{gateway}/api/notifications/preferences/pages/{page_id}/",
        json={},
        headers=auth(account),
        timeout=30,
    )
    body = response.json()
    body.pop("request_id", None)
    if "message" in body:
        body["message"] = body["message"].replace(page_id, "<id>")
    return response.status_code, body


def test_new_post_alerts_follow_the_follow(gateway: str) -> None:
    owner, reader = register_and_login(gateway), register_and_login(gateway)
    # The first request already has the page, whether or not the event has arrived.
    page = me(gateway, owner)["personal_page"]
    assert page is not None and page["kind"] == "personal"

    missing = alert(gateway, reader, str(uuid.uuid4()))
    assert missing[0] == 404 and missing[1]["code"] == "page_not_found"
    assert alert(gateway, reader, page["id"]) == missing  # not followed: as if it did not exist

    followed = requests.post(
        f"{gateway}/api/social/pages/{page['handle']}/follow/", headers=auth(reader), timeout=30
    )
    assert followed.status_code in (200, 201), followed.text
    wait_for(
        lambda: alert(gateway, reader, page["id"])[0] == 200,
        timeout=60,
        what="the follow reaching notifications over Kafka",
    )

    posted = requests.post(
        f"{gateway}/api/social/pages/{page['id']}/posts/",
        json={"text": "news"},
        headers=auth(owner),
        timeout=30,
    )
    assert posted.status_code == 201, posted.text

    def alerted() -> bool:
        listed = requests.get(f"{gateway}/api/notifications/", headers=auth(reader), timeout=30)
        return any(n["type"] == "new_post" for n in listed.json()["results"])

    wait_for(alerted, timeout=60, what="the new-post alert")

    unfollowed = requests.delete(
        f"{gateway}/api/social/pages/{page['handle']}/follow/", headers=auth(reader), timeout=30
    )
    assert unfollowed.status_code in (200, 204), unfollowed.text

    def dropped() -> bool:
        listed = requests.get(
            f"{gateway}/api/notifications/preferences/pages/", headers=auth(reader), timeout=30
        )
        return listed.json()["results"] == []

    wait_for(dropped, timeout=60, what="the unfollow dropping the alert")
    assert alert(gateway, reader, page["id"]) == missing
