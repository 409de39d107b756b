"""Private files are read only through short-lived signed URLs, issued to someone allowed."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from media.files.tests import samples
from media.files.tests.conftest import request_url

pytestmark = pytest.mark.django_db


def test_the_owner_gets_a_signed_url_that_works_until_it_expires(
    media_api: Any, media_storage: Any
) -> None:
    api = media_api()
    data = samples.pdf(pages=2)
    file = api.upload(data, name="Отчёт Q3.pdf", purpose="task_attachment").json()
    assert file["url"] is None

    # Long enough for a busy machine to fetch it in time, short enough to wait out below.
    lifetime = 5
    issued = api.url(file["id"], expires_in=lifetime)
    assert issued.status_code == 200, issued.json()
    assert issued["Cache-Control"] == "no-store"
    body = issued.json()
    assert body["variant"] == "original" and body["content_type"] == "application/pdf"
    expires_at = timezone.datetime.fromisoformat(body["expires_at"])
    assert timezone.now() < expires_at <= timezone.now() + timedelta(seconds=lifetime + 1)

    fetched = request_url(api.client, "GET", body["url"])
    assert fetched.status_code == 200
    assert fetched.body == data
    assert fetched.headers["Content-Type"] == "application/pdf"
    disposition = fetched.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=utf-8''" in disposition.lower()

    time.sleep(max((expires_at - timezone.now()).total_seconds(), 0) + 1.2)
    expired = request_url(api.client, "GET", body["url"])
    assert expired.status_code == 403
    assert b"expired" in expired.body.lower()


def test_the_signed_url_lifetime_is_capped(
    media_api: Any, media_storage: Any, settings: Any
) -> None:
    api = media_api()
    file = api.upload(samples.pdf(), name="a.pdf", purpose="task_attachment").json()
    body = api.url(file["id"], expires_in=10**6).json()
    lifetime = timezone.datetime.fromisoformat(body["expires_at"]) - timezone.now()
    assert lifetime <= timedelta(seconds=settings.MEDIA_SIGNED_URL_TTL_SECONDS)


def test_variants_of_a_private_image_are_signed_too(media_api: Any, media_storage: Any) -> None:
    api = media_api()
    file = api.upload(samples.jpeg(size=(600, 400)), name="p.jpg", purpose="chat_attachment").json()
    body = api.url(file["id"], variant="thumbnail").json()
    fetched = request_url(api.client, "GET", body["url"])
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "image/jpeg"
    assert fetched.headers["Content-Disposition"].startswith("inline")
    missing = api.url(file["id"], variant="poster")
    assert missing.status_code == 400 and missing.json()["code"] == "variant_not_found"


def test_nobody_else_gets_a_url_for_a_private_file(
    media_api: Any, media_storage: Any, api_client: Any, make_user: Any
) -> None:
    owner = media_api()
    file = owner.upload(samples.pdf(), name="a.pdf", purpose="task_attachment").json()
    stranger = media_api().url(file["id"])
    assert stranger.status_code == 404 and stranger.json()["code"] == "file_not_found"
    moderator = media_api(make_user(role="moderator")).url(file["id"])
    assert moderator.status_code == 404
    assert api_client.get(f"/api/media/files/{file['id']}/url").status_code == 401
    # A banned owner is refused too (the token is refused before anything is looked up).
    owner.user.is_banned = True
    owner.user.save()
    from cotask_common.users.selectors import invalidate_restrictions

    invalidate_restrictions()
    banned = owner.url(file["id"])
    assert banned.status_code == 403 and banned.json()["code"] == "user_banned"


def test_a_public_file_gets_its_plain_url_for_anyone(media_api: Any, media_storage: Any) -> None:
    file = media_api().upload(samples.png(), name="a.png", purpose="avatar").json()
    body = media_api().url(file["id"], variant="medium").json()
    assert body["expires_at"] is None
    assert body["url"] == file["variants"]["medium"]["url"]


def test_a_changed_signed_url_is_refused(media_api: Any, media_storage: Any) -> None:
    api = media_api()
    file = api.upload(samples.pdf(), name="a.pdf", purpose="task_attachment").json()
    other = api.upload(samples.pdf(pages=2), name="b.pdf", purpose="task_attachment").json()
    url = api.url(file["id"]).json()["url"]
    # The same signature for another object: refused by S3 and by the local storage alike.
    swapped = url.replace(file["id"], other["id"])
    assert request_url(api.client, "GET", swapped).status_code == 403
