"""Private files read by another service's audience: `<service>.media.attached` with an
`audience`, and `<service>.media.access_granted` / `.access_revoked` (cotask_common.media_access).
A member of an audience the file is attached to gets signed URLs; nobody else does."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import Any

import pytest

from cotask_common.events.testing import handle_event, make_event
from media.files import selectors
from media.files.models import AudienceMember, MediaFile
from media.files.tests import samples
from media.files.tests.conftest import request_url

pytestmark = pytest.mark.django_db

local_only = pytest.mark.parametrize("media_storage", ["local"], indirect=True)


def attached(file_id: str, post_id: str, audience: str | None, service: str = "social") -> Any:
    data: dict[str, Any] = {"object_type": "post", "object_id": post_id, "file_ids": [file_id]}
    if audience is not None:
        data["audience"] = audience
    return make_event(type=f"{service}.media.attached", key=post_id, data=data)


def detached(post_id: str) -> Any:
    return make_event(
        type="social.media.detached",
        key=post_id,
        data={"object_type": "post", "object_id": post_id},
    )


def access(verb: str, audience: str, *users: Any, service: str = "social", at: Any = None) -> Any:
    data: dict[str, Any] = {"audience": audience}
    if users:
        data["user_ids"] = [str(u.user.id) for u in users]
    event = make_event(type=f"{service}.media.access_{verb}", key=audience, data=data)
    return dataclasses.replace(event, occurred_at=at) if at is not None else event


@pytest.fixture
def private_post(media_api: Any, media_storage: Any) -> tuple[Any, str, str, str]:
    """(owner, file id, post id, audience): a private post image attached to page:<id>."""
    owner = media_api()
    file = owner.upload(
        samples.png(color=(9, 9, 9)), name="p.png", purpose="post_image", visibility="private"
    ).json()
    audience = f"page:{uuid.uuid4()}"
    post_id = str(uuid.uuid4())
    assert handle_event(attached(file["id"], post_id, audience))
    return owner, file["id"], post_id, audience


def test_a_member_of_the_audience_gets_a_working_signed_url_and_a_stranger_a_404(
    private_post: Any, media_api: Any
) -> None:
    owner, file_id, _post, audience = private_post
    follower, stranger = media_api(), media_api()
    assert follower.url(file_id).status_code == 404
    assert handle_event(access("granted", audience, follower))

    issued = follower.url(file_id)
    assert issued.status_code == 200, issued.json()
    body = issued.json()
    assert body["expires_at"] is not None  # still a short-lived signed URL
    fetched = request_url(follower.client, "GET", body["url"])
    assert fetched.status_code == 200 and fetched.body.startswith(b"\x89PNG")
    assert follower.client.get(f"/api/media/files/{file_id}/").status_code == 200
    assert follower.url(file_id, variant="thumbnail").status_code == 200

    for response in (stranger.url(file_id), stranger.client.get(f"/api/media/files/{file_id}/")):
        assert response.status_code == 404 and response.json()["code"] == "file_not_found"
    # A member may read, not delete (and is told so, since they may see it).
    assert follower.delete(file_id).status_code == 403
    assert owner.url(file_id).status_code == 200


@local_only
def test_revocation_ends_access_and_an_older_grant_cannot_bring_it_back(
    private_post: Any, media_api: Any
) -> None:
    _owner, file_id, _post, audience = private_post
    follower = media_api()
    grant = access("granted", audience, follower)
    assert handle_event(grant)
    revoke = access("revoked", audience, follower)
    assert handle_event(revoke)
    assert follower.url(file_id).status_code == 404
    # The same grant again (a redelivery) is a duplicate; a copy under a new id but with the
    # old time (a replay) is older than the revocation: both ignored.
    assert handle_event(grant) is False
    assert handle_event(dataclasses.replace(grant, id=uuid.uuid4()))
    assert follower.url(file_id).status_code == 404
    # A revocation that arrives before its grant (out of order) wins too.
    late = media_api()
    first = access("granted", audience, late)
    assert handle_event(access("revoked", audience, late, at=first.occurred_at + timedelta(1)))
    assert handle_event(first)
    assert late.url(file_id).status_code == 404
    # A real re-follow is newer: access again.
    assert handle_event(access("granted", audience, follower))
    assert follower.url(file_id).status_code == 200
    assert AudienceMember.objects.filter(audience=audience).count() == 2


@local_only
def test_revoking_everyone_ignores_older_grants_and_newer_ones_count(
    private_post: Any, media_api: Any
) -> None:
    _owner, file_id, _post, audience = private_post
    one, two = media_api(), media_api()
    before = access("granted", audience, two)
    assert handle_event(access("granted", audience, one))
    assert handle_event(access("revoked", audience))  # the page was blocked or deleted
    assert one.url(file_id).status_code == 404
    assert handle_event(before)  # older than the reset, never applied
    assert two.url(file_id).status_code == 404
    assert handle_event(access("granted", audience, one, two))  # the block ended
    assert one.url(file_id).status_code == 200 and two.url(file_id).status_code == 200


@local_only
def test_a_detached_file_loses_its_audience(private_post: Any, media_api: Any) -> None:
    owner, file_id, post_id, audience = private_post
    follower = media_api()
    handle_event(access("granted", audience, follower))
    assert follower.url(file_id).status_code == 200
    assert handle_event(detached(post_id))  # the post was deleted
    assert follower.url(file_id).status_code == 404
    assert owner.url(file_id).status_code == 200


@local_only
def test_audiences_are_per_service_and_references_without_one_grant_nothing(
    media_api: Any, media_storage: Any
) -> None:
    owner = media_api()
    file_id = owner.upload(samples.pdf(), name="a.pdf", purpose="task_attachment").json()["id"]
    member = media_api()
    audience = f"room:{uuid.uuid4()}"
    handle_event(attached(file_id, str(uuid.uuid4()), None, service="tasks"))
    handle_event(access("granted", audience, member, service="tasks"))
    assert member.url(file_id).status_code == 404  # the reference names no audience
    # Another service cannot open tasks' room by naming the same audience.
    handle_event(attached(file_id, str(uuid.uuid4()), audience, service="social"))
    assert member.url(file_id).status_code == 404
    handle_event(attached(file_id, str(uuid.uuid4()), audience, service="tasks"))
    assert member.url(file_id).status_code == 200


@local_only
def test_malformed_access_events_are_skipped_not_retried(private_post: Any, media_api: Any) -> None:
    _owner, file_id, _post, audience = private_post
    follower = media_api()
    assert handle_event(make_event(type="social.media.access_granted", key="x", data={}))
    bad = make_event(
        type="social.media.access_granted",
        key=audience,
        data={"audience": audience, "user_ids": ["nope", str(follower.user.id)]},
    )
    assert handle_event(bad)
    assert follower.url(file_id).status_code == 200


@local_only
def test_the_access_check_is_one_query(
    private_post: Any, media_api: Any, django_assert_num_queries: Any
) -> None:
    _owner, file_id, _post, audience = private_post
    follower = media_api()
    handle_event(access("granted", audience, follower))
    file = MediaFile.objects.get(id=file_id)
    with django_assert_num_queries(1):
        assert selectors.can_view(user=follower.user, file=file)


@local_only
def test_a_deleted_account_leaves_no_membership(private_post: Any, media_api: Any) -> None:
    _owner, _file_id, _post, audience = private_post
    follower = media_api()
    handle_event(access("granted", audience, follower))
    assert AudienceMember.objects.filter(user_id=follower.user.id).exists()
    handle_event(make_event(type="auth.user.deleted", key=str(follower.user.id), data={}))
    assert not AudienceMember.objects.filter(user_id=follower.user.id).exists()
    # social revokes the follow on its own topic, which may arrive after the deletion here: it
    # writes nothing back that names the deleted account.
    assert handle_event(access("revoked", audience, follower))
    assert not AudienceMember.objects.filter(user_id=follower.user.id).exists()
