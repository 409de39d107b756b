"""References from other services (`<service>.media.attached` / `.detached`), the removal of
unreferenced files after the grace period, account deletion, and storage deletions that survive
failures."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cotask_common.events.testing import handle_event, make_event
from media.files import services
from media.files.models import MediaFile, MediaReference, StorageDeletion, UploadSession
from media.files.tests import samples

pytestmark = pytest.mark.django_db


def attached(service: str, object_id: str, *file_ids: Any, object_type: str = "post") -> Any:
    return make_event(
        type=f"{service}.media.attached",
        key=object_id,
        data={
            "object_type": object_type,
            "object_id": object_id,
            "file_ids": [str(i) for i in file_ids],
        },
    )


def detached(service: str, object_id: str, *file_ids: Any, object_type: str = "post") -> Any:
    data: dict[str, Any] = {"object_type": object_type, "object_id": object_id}
    if file_ids:
        data["file_ids"] = [str(i) for i in file_ids]
    return make_event(type=f"{service}.media.detached", key=object_id, data=data)


def after_grace(settings: Any, extra: int = 60) -> Any:
    return timezone.now() + timedelta(seconds=settings.MEDIA_UNREFERENCED_GRACE_SECONDS + extra)


@pytest.fixture(autouse=True)
def cleanup_everything(settings: Any) -> None:
    settings.MEDIA_UNREFERENCED_CLEANUP_PURPOSES = ["*"]


@pytest.fixture
def two_files(media_api: Any, media_storage: Any) -> tuple[Any, str, str]:
    api = media_api()
    first = api.upload(samples.png(color=(1, 1, 1)), name="a.png", purpose="post_image").json()
    second = api.upload(samples.png(color=(2, 2, 2)), name="b.png", purpose="post_image").json()
    return api, first["id"], second["id"]


def test_a_referenced_file_is_kept_and_an_unreferenced_one_removed(
    two_files: Any, media_storage: Any, settings: Any, committed: Any, published_events: Any
) -> None:
    _api, kept, dropped = two_files
    post = str(uuid.uuid4())
    event = attached("social", post, kept)
    assert handle_event(event) is True
    assert handle_event(event) is False  # a redelivery: no effect
    assert MediaFile.objects.get(id=kept).unreferenced_since is None
    assert MediaReference.objects.get(file_id=kept).object_id == post

    # Within the grace period nothing goes.
    assert services.cleanup_unreferenced() == 0
    removed = committed(lambda: services.cleanup_unreferenced(now=after_grace(settings)))
    assert removed == 1
    assert list(MediaFile.objects.values_list("id", flat=True)) == [uuid.UUID(kept)]
    assert media_storage.list_keys() == sorted(MediaFile.objects.get(id=kept).storage_keys())
    [deleted] = published_events("media.file.deleted")
    assert deleted.data["id"] == dropped and deleted.data["reason"] == "unreferenced"
    assert deleted.actor is None


def test_a_detached_file_is_removed_after_the_grace_period(
    two_files: Any, media_storage: Any, settings: Any, committed: Any
) -> None:
    _api, first, second = two_files
    post, task = str(uuid.uuid4()), str(uuid.uuid4())
    handle_event(attached("social", post, first, second))
    handle_event(attached("tasks", task, first, object_type="task"))
    handle_event(detached("social", post))  # the post was deleted: all its files
    assert MediaFile.objects.get(id=first).unreferenced_since is None  # the task still uses it
    assert MediaFile.objects.get(id=second).unreferenced_since is not None
    committed(lambda: services.cleanup_unreferenced(now=after_grace(settings)))
    assert list(MediaFile.objects.values_list("id", flat=True)) == [uuid.UUID(first)]

    handle_event(detached("tasks", task, first, object_type="task"))
    committed(lambda: services.cleanup_unreferenced(now=after_grace(settings)))
    assert not MediaFile.objects.exists() and media_storage.list_keys() == []


def test_attaching_again_within_the_grace_period_saves_the_file(
    two_files: Any, settings: Any, committed: Any
) -> None:
    _api, first, _second = two_files
    handle_event(attached("social", "p1", first))
    handle_event(detached("social", "p1", first))
    handle_event(attached("social", "p2", first))
    committed(lambda: services.cleanup_unreferenced(now=after_grace(settings)))
    assert MediaFile.objects.filter(id=first).exists()


def test_only_purposes_turned_on_are_cleaned_up_but_failed_files_always(
    media_api: Any, media_storage: Any, settings: Any, committed: Any
) -> None:
    settings.MEDIA_UNREFERENCED_CLEANUP_PURPOSES = ["post_video"]
    api = media_api()
    avatar = api.upload(samples.png(), name="a.png", purpose="avatar").json()
    image = api.upload(samples.png(), name="a.png", purpose="post_image").json()
    committed(lambda: services.fail_file(file_id=image["id"], code="corrupt_file", message="test"))
    committed(lambda: services.cleanup_unreferenced(now=after_grace(settings)))
    assert list(MediaFile.objects.values_list("id", flat=True)) == [uuid.UUID(avatar["id"])]
    assert media_storage.list_keys() == sorted(MediaFile.objects.get().storage_keys())


def test_unknown_and_malformed_ids_are_ignored(two_files: Any) -> None:
    _api, first, _second = two_files
    event = make_event(
        type="habits.media.attached",
        key="h1",
        data={"object_type": "milestone", "file_ids": [str(uuid.uuid4()), "not-a-uuid", first]},
    )
    assert handle_event(event) is True
    assert list(MediaReference.objects.values_list("service", "object_id")) == [("habits", "h1")]


def test_a_deleted_account_takes_its_files_and_uploads(
    media_api: Any, media_storage: Any, committed: Any, published_events: Any
) -> None:
    api = media_api()
    api.upload(samples.png(), name="a.png", purpose="avatar")
    api.upload(samples.pdf(), name="a.pdf", purpose="task_attachment")
    data = samples.jpeg()
    started = api.start(data, name="x.jpg", purpose="post_image", content_type="image/jpeg")
    from media.files.tests.conftest import send

    send(api.client, started.json()["upload"], data)
    other = media_api().upload(samples.png(), name="a.png", purpose="avatar").json()

    event = make_event(type="auth.user.deleted", key=str(api.user.id), data={})
    assert committed(lambda: handle_event(event)) is True
    assert list(MediaFile.objects.values_list("id", flat=True)) == [uuid.UUID(other["id"])]
    assert media_storage.list_keys() == sorted(MediaFile.objects.get().storage_keys())
    assert not UploadSession.objects.filter(owner_id=api.user.id).exists()
    assert committed(
        lambda: handle_event(make_event(type="auth.user.deleted", key=str(api.user.id)))
    )
    assert MediaFile.objects.count() == 1  # a second delivery changes nothing
    reasons = {e.data["reason"] for e in published_events("media.file.deleted")}
    assert reasons == {"owner_deleted"}


def test_storage_deletions_are_retried_until_they_succeed(
    two_files: Any, media_storage: Any, committed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, first, _second = two_files
    file = MediaFile.objects.get(id=first)

    def broken(keys: Any) -> None:
        raise ConnectionError("storage down")

    with monkeypatch.context() as patch:
        patch.setattr(type(media_storage), "delete_many", lambda self, keys: broken(keys))
        assert api.delete(first).status_code == 204
    # The row is gone, the objects are not yet: their deletion is remembered.
    assert not MediaFile.objects.filter(id=first).exists()
    pending = list(StorageDeletion.objects.values_list("key", "attempts"))
    assert sorted(k for k, _ in pending) == sorted(file.storage_keys())
    assert all(attempts == 1 for _, attempts in pending)
    assert set(file.storage_keys()) <= set(media_storage.list_keys())
    assert services.purge_deletions() == 3
    assert not StorageDeletion.objects.exists()
    assert not set(file.storage_keys()) & set(media_storage.list_keys())


def test_objects_written_before_a_crash_are_purged_later(
    media_api: Any, media_storage: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The process dies after writing the objects and before committing the file: the planned
    deletions written beforehand remove them once the write grace period has passed."""
    source = tmp_path / "a.png"
    source.write_bytes(samples.png())

    def crash(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(MediaFile.objects, "create", crash)
    monkeypatch.setattr(services, "_delete_now", lambda keys, planned: None)  # died: no cleanup
    with pytest.raises(SystemExit):
        services.upload_file(
            owner_id=uuid.uuid4(), purpose="avatar", visibility=None, path=source, filename="a.png"
        )
    assert len(media_storage.list_keys()) == 3 and StorageDeletion.objects.count() == 3
    assert services.purge_deletions() == 0  # an upload may still be in progress
    assert services.purge_deletions(now=timezone.now() + timedelta(hours=2)) == 3
    assert media_storage.list_keys() == []
