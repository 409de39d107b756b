"""Multipart uploads, the owner's list, reading and deleting, on both storages."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.utils import timezone
from PIL import Image

from media.files.models import MediaFile
from media.files.tests import samples

pytestmark = pytest.mark.django_db

FILES = "/api/media/files/"


def read_object(storage: Any, key: str) -> bytes:
    buffer = io.BytesIO()
    storage.download(key, buffer, max_bytes=50 * 1024 * 1024)
    return buffer.getvalue()


def test_an_avatar_is_re_encoded_with_variants_and_announced(
    media_api: Any, media_storage: Any, published_events: Any, temp_dir: Path
) -> None:
    api = media_api()
    response = api.upload(
        samples.jpeg(size=(1600, 1200), noise=True), name="me.JPG", purpose="avatar"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner_id"] == str(api.user.id)
    assert (body["purpose"], body["visibility"], body["kind"]) == ("avatar", "public", "image")
    assert (body["status"], body["content_type"]) == ("ready", "image/jpeg")
    assert (body["width"], body["height"]) == (1600, 1200)
    assert body["deduplicated"] is False and body["failure"] is None
    assert body["url"].endswith("/original.jpg")
    assert set(body["variants"]) == {"thumbnail", "medium"}
    assert (body["variants"]["thumbnail"]["width"], body["variants"]["thumbnail"]["height"]) == (
        320,
        240,
    )
    assert body["variants"]["medium"]["width"] == 1280
    assert body["variants"]["medium"]["content_type"] == "image/jpeg"

    file = MediaFile.objects.get(id=body["id"])
    assert file.id.version == 7
    assert media_storage.list_keys() == sorted(file.storage_keys())
    stored = Image.open(io.BytesIO(read_object(media_storage, file.storage_key)))
    assert stored.format == "JPEG" and stored.size == (1600, 1200)
    thumbnail = Image.open(
        io.BytesIO(read_object(media_storage, file.variants["thumbnail"]["key"]))
    )
    assert thumbnail.format == "JPEG" and thumbnail.size == (320, 240)

    uploaded, ready = published_events("media.file.")
    assert (uploaded.type, ready.type) == ("media.file.uploaded", "media.file.ready")
    for event in (uploaded, ready):
        assert event.key == str(file.id) and event.actor == str(api.user.id)
        assert event.data["owner_id"] == str(api.user.id)
        assert event.data["purpose"] == "avatar" and event.data["visibility"] == "public"
    assert ready.data["width"] == 1600 and ready.data["variants"]["thumbnail"]["width"] == 320
    assert ready.data["url"] == media_storage.public_url(file.storage_key)
    assert list(temp_dir.iterdir()) == []


def test_a_public_file_is_served_by_its_plain_url(
    media_api: Any, media_storage: Any, settings: Any
) -> None:
    body = media_api().upload(samples.png(), name="p.png", purpose="post_image").json()
    if media_storage.backend == "s3":
        media_storage.setup()  # the bucket policy that lets anyone read public/*
        response = requests.get(body["url"], timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/png"
        content = response.content
    else:
        # nginx serves MEDIA_ROOT at /media/: the URL's path is the file's place under it.
        assert body["url"].startswith("http://testserver/media/public/")
        relative = body["url"].removeprefix("http://testserver/media/")
        content = (Path(settings.MEDIA_ROOT) / relative).read_bytes()
    assert Image.open(io.BytesIO(content)).format == "PNG"


@pytest.mark.parametrize(
    ("purpose", "name", "make", "kind"),
    [
        ("avatar", "a.png", samples.png, "image"),
        ("avatar", "a.gif", lambda: samples.image_bytes("GIF"), "image"),
        ("avatar", "a.webp", lambda: samples.image_bytes("WEBP"), "image"),
        ("post_image", "p.jpeg", samples.jpeg, "image"),
        ("task_attachment", "spec.pdf", samples.pdf, "document"),
        ("task_attachment", "notes.docx", samples.docx, "document"),
        ("task_attachment", "todo.txt", lambda: "Купить хлеб\n".encode(), "document"),
        ("task_attachment", "data.csv", lambda: b"a,b\n1,2\n", "document"),
        ("task_attachment", "shot.png", samples.png, "image"),
        ("chat_attachment", "readme.md", lambda: b"# Title\n\ntext\n", "document"),
    ],
)
def test_each_purpose_accepts_its_types(
    media_api: Any, media_storage: Any, purpose: str, name: str, make: Any, kind: str
) -> None:
    response = media_api().upload(make(), name=name, purpose=purpose)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == kind and body["status"] == "ready"
    expected_visibility = "private" if purpose.endswith("attachment") else "public"
    assert body["visibility"] == expected_visibility
    assert (body["url"] is None) == (expected_visibility == "private")


def test_variants_keep_transparency_in_webp(media_api: Any, media_storage: Any) -> None:
    body = (
        media_api()
        .upload(samples.png(size=(500, 400), alpha=True), name="logo.png", purpose="post_image")
        .json()
    )
    assert body["content_type"] == "image/png"
    assert {v["content_type"] for v in body["variants"].values()} == {"image/webp"}
    file = MediaFile.objects.get(id=body["id"])
    thumbnail = Image.open(
        io.BytesIO(read_object(media_storage, file.variants["thumbnail"]["key"]))
    )
    assert thumbnail.mode == "RGBA" and thumbnail.getpixel((100, 100))[3] == 128


def test_a_gif_is_stored_as_its_first_frame_in_png(media_api: Any, media_storage: Any) -> None:
    frames = [Image.new("RGB", (30, 20), color) for color in ("red", "blue", "green")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    body = media_api().upload(buffer.getvalue(), name="anim.gif", purpose="post_image").json()
    assert body["content_type"] == "image/png" and body["filename"] == "anim.png"
    assert body["url"].endswith("/original.png")


@pytest.mark.parametrize(
    ("purpose", "name", "make", "code"),
    [
        ("avatar", "doc.pdf", samples.pdf, "unsupported_type"),
        ("post_image", "notes.txt", lambda: b"hello", "unsupported_type"),
        ("post_video", "p.png", samples.png, "unsupported_type"),
        ("task_attachment", "a.zip", lambda: samples.zip_bytes({"a": b"b"}), "unsupported_type"),
        ("task_attachment", "code.py", lambda: b"print(1)\n", "extension_mismatch"),
        ("avatar", "noext", samples.png, "extension_mismatch"),
        ("avatar", "empty.png", lambda: b"", "empty_file"),
    ],
)
def test_types_a_purpose_does_not_take_are_refused(
    media_api: Any, media_storage: Any, purpose: str, name: str, make: Any, code: str
) -> None:
    response = media_api().upload(make(), name=name, purpose=purpose)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == code
    assert body["fields"]["file"][0]["code"] == code
    assert media_storage.list_keys() == [] and not MediaFile.objects.exists()


def test_unknown_purpose_and_forbidden_visibility_name_the_field(
    media_api: Any, media_storage: Any
) -> None:
    api = media_api()
    unknown = api.upload(samples.png(), name="a.png", purpose="wallpaper")
    assert unknown.status_code == 400
    assert "avatar" in unknown.json()["fields"]["purpose"][0]["message"]
    private_avatar = api.upload(samples.png(), name="a.png", purpose="avatar", visibility="private")
    assert private_avatar.status_code == 400
    assert private_avatar.json()["code"] == "visibility_not_allowed"
    assert "visibility" in private_avatar.json()["fields"]


def test_a_private_post_image_has_no_plain_url(media_api: Any, media_storage: Any) -> None:
    body = (
        media_api()
        .upload(samples.png(), name="a.png", purpose="post_image", visibility="private")
        .json()
    )
    assert body["visibility"] == "private" and body["url"] is None
    assert all(variant["url"] is None for variant in body["variants"].values())
    file = MediaFile.objects.get(id=body["id"])
    assert all(key.startswith(f"{media_storage.prefix}private/") for key in file.storage_keys())


def test_an_oversized_file_is_413_with_the_limit_named(
    media_api: Any, media_storage: Any, temp_dir: Path
) -> None:
    too_big = b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024 + 10)
    response = media_api().upload(too_big, name="big.jpg", purpose="avatar")
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "file_too_large"
    assert "5 MB" in body["message"] and "avatar" in body["message"]
    assert media_storage.list_keys() == [] and list(temp_dir.iterdir()) == []


def test_a_body_over_the_multipart_limit_is_cut_off(
    media_api: Any, media_storage: Any, settings: Any, temp_dir: Path
) -> None:
    settings.MEDIA_MAX_MULTIPART_BYTES = 64 * 1024
    api = media_api()
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = {
        "file": SimpleUploadedFile("a.png", b"\x89PNG" + b"\x00" * 200_000),
        "purpose": "avatar",
    }
    response = api.client.post(FILES, payload, format="multipart")
    assert response.status_code == 413
    assert "64 KB" in response.json()["message"]
    assert list(temp_dir.iterdir()) == [] and media_storage.list_keys() == []


def test_the_same_content_is_stored_once_per_owner_and_purpose(
    media_api: Any, media_storage: Any, published_events: Any
) -> None:
    api = media_api()
    data = samples.jpeg(seed=3, noise=True)
    first = api.upload(data, name="a.jpg", purpose="post_image")
    again = api.upload(data, name="same.jpg", purpose="post_image")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["deduplicated"] is True
    assert len(media_storage.list_keys()) == 3
    assert len(published_events("media.file.uploaded")) == 1
    # Another use of the same bytes, or another owner, is a file of its own.
    as_avatar = api.upload(data, name="a.jpg", purpose="avatar")
    someone_else = media_api().upload(data, name="a.jpg", purpose="post_image")
    assert as_avatar.status_code == 201 and someone_else.status_code == 201
    assert len({first.json()["id"], as_avatar.json()["id"], someone_else.json()["id"]}) == 3


def test_a_wrong_announced_checksum_is_refused(media_api: Any, media_storage: Any) -> None:
    response = media_api().upload(samples.png(), name="a.png", purpose="avatar", sha256="0" * 64)
    assert response.status_code == 400 and response.json()["code"] == "checksum_mismatch"
    assert media_storage.list_keys() == []
    # given empty, it is not left out: 64 hex characters, as documented
    response = media_api().upload(samples.png(), name="a.png", purpose="avatar", sha256="")
    assert response.status_code == 400 and "sha256" in response.json()["fields"]


def test_the_owner_lists_their_files_newest_first_in_pages(
    media_api: Any, media_storage: Any, django_assert_max_num_queries: Any
) -> None:
    api = media_api()
    ids = [
        api.upload(samples.png(color=(i, 0, 0)), name=f"{i}.png", purpose="post_image").json()["id"]
        for i in range(5)
    ]
    media_api().upload(samples.png(color=(9, 9, 9)), name="other.png", purpose="post_image")
    api.upload(b"x\n", name="t.txt", purpose="task_attachment")

    first = api.client.get(FILES, {"page_size": 2, "purpose": "post_image"})
    assert first.status_code == 200
    page = first.json()
    assert [f["id"] for f in page["results"]] == ids[::-1][:2]
    second = api.client.get(page["next"]).json()
    assert [f["id"] for f in second["results"]] == ids[::-1][2:4]
    everything = api.client.get(FILES).json()["results"]
    assert len(everything) == 6 and everything[0]["purpose"] == "task_attachment"

    # The query count does not grow with the number of files (auth snapshot + one page).
    with django_assert_max_num_queries(2):
        response = api.client.get(FILES, {"page_size": 100})
    assert len(response.json()["results"]) == 6


def test_listing_with_many_files_takes_the_same_queries(
    media_api: Any, media_storage: Any, django_assert_max_num_queries: Any
) -> None:
    api = media_api()
    MediaFile.objects.bulk_create(
        [
            MediaFile(
                owner_id=api.user.id,
                purpose="post_image",
                visibility="public",
                kind="image",
                status="ready",
                filename=f"{i}.png",
                content_type="image/png",
                size=1,
                sha256=f"{i:064x}",
                storage_key=f"public/{api.user.id}/{i}/original.png",
                variants={
                    "thumbnail": {"key": f"public/x/{i}/t.webp", "content_type": "image/webp"}
                },
            )
            for i in range(40)
        ]
    )
    with django_assert_max_num_queries(2):
        response = api.client.get(FILES, {"page_size": 40})
    assert len(response.json()["results"]) == 40


def test_a_file_is_visible_to_its_owner_and_public_ones_to_everyone(
    media_api: Any, media_storage: Any, api_client: Any
) -> None:
    owner = media_api()
    private = owner.upload(samples.pdf(), name="p.pdf", purpose="task_attachment").json()
    public = owner.upload(samples.png(), name="a.png", purpose="avatar").json()
    assert owner.client.get(f"{FILES}{private['id']}/").status_code == 200
    stranger = media_api()
    assert stranger.client.get(f"{FILES}{public['id']}/").status_code == 200
    hidden = stranger.client.get(f"{FILES}{private['id']}/")
    assert hidden.status_code == 404 and hidden.json()["code"] == "file_not_found"
    assert api_client.get(f"{FILES}{public['id']}/").status_code == 401


def test_anonymous_and_banned_users_cannot_upload_or_list(
    media_api: Any, media_storage: Any, api_client: Any, make_user: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    anonymous = api_client.post(
        FILES, {"file": SimpleUploadedFile("a.png", samples.png()), "purpose": "avatar"}
    )
    assert anonymous.status_code == 401
    assert api_client.get(FILES).status_code == 401
    banned = make_user(is_banned=True, banned_until=timezone.now() + timedelta(days=1))
    api = media_api(banned)
    response = api.upload(samples.png(), name="a.png", purpose="avatar")
    assert response.status_code == 403 and response.json()["code"] == "user_banned"
    assert api.client.get(FILES).status_code == 403
    assert media_storage.list_keys() == [] and not MediaFile.objects.exists()


def test_the_owner_deletes_a_file_and_its_objects(
    media_api: Any, media_storage: Any, published_events: Any
) -> None:
    api = media_api()
    body = api.upload(samples.png(), name="a.png", purpose="post_image").json()
    stranger = media_api()
    assert stranger.delete(body["id"]).status_code == 403  # public: seen, but not theirs
    response = api.delete(body["id"])
    assert response.status_code == 204
    assert media_storage.list_keys() == [] and not MediaFile.objects.exists()
    [deleted] = published_events("media.file.deleted")
    assert deleted.data["reason"] == "owner" and deleted.data["owner_id"] == str(api.user.id)
    assert deleted.data["purpose"] == "post_image"
    assert api.delete(body["id"]).status_code == 404


def test_strangers_cannot_delete_private_files_but_moderators_can(
    media_api: Any, media_storage: Any, published_events: Any, make_user: Any
) -> None:
    api = media_api()
    body = api.upload(samples.pdf(), name="a.pdf", purpose="task_attachment").json()
    assert media_api().delete(body["id"]).status_code == 404
    banned = make_user(is_banned=True)
    assert media_api(banned).delete(body["id"]).status_code == 403
    moderator = media_api(make_user(role="moderator"))
    assert moderator.delete(body["id"]).status_code == 204
    assert published_events("media.file.deleted")[0].data["reason"] == "moderator"
    assert media_storage.list_keys() == []


def test_purposes_are_listed_with_their_limits(api_client: Any) -> None:
    response = api_client.get("/api/media/purposes/")
    assert response.status_code == 200
    purposes = {p["name"]: p for p in response.json()}
    assert purposes["avatar"]["max_bytes"] == 5 * 1024 * 1024
    assert purposes["post_video"]["max_bytes"] == 200 * 1024 * 1024
    assert {t["mime"] for t in purposes["post_video"]["types"]} == {
        "video/mp4",
        "video/quicktime",
        "video/webm",
    }
    assert purposes["task_attachment"]["visibilities"] == ["private"]
