"""A refused upload answered in the person's language: the same `code`, the message in
English, Russian or Ukrainian, by the account's saved language (the token's `lang` claim) and,
without one, by `Accept-Language`; sizes in that language's units and decimal mark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from media.files.models import MediaFile

pytestmark = pytest.mark.django_db

FILES = "/api/media/files/"
MB = 1024 * 1024

TOO_LARGE_AVATAR = {
    "en": "The file is 6 MB; the limit for an avatar is 5 MB.",
    "ru": "Размер файла 6 МБ; ограничение для аватара — 5 МБ.",
    "uk": "Розмір файлу 6 МБ; обмеження для аватара — 5 МБ.",
}


def _upload(client: Any, data: bytes, **headers: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = {
        "file": SimpleUploadedFile("big.jpg", data, content_type="image/jpeg"),
        "purpose": "avatar",
    }
    return client.post(FILES, payload, format="multipart", **headers)


def _assert_too_large(response: Any, message: str, language: str) -> None:
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "file_too_large"
    assert body["message"] == f"file: {message}"
    assert body["fields"]["file"] == [{"code": "file_too_large", "message": message}]
    assert response["Content-Language"] == language


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_a_too_large_upload_is_refused_in_the_saved_language(
    client_for: Any, make_user: Any, media_storage: Any, temp_dir: Path, language: str
) -> None:
    client = client_for(make_user(), lang=language)
    too_big = b"\xff\xd8\xff\xe0" + b"\x00" * (6 * MB - 4)
    # The saved language wins over what the browser asks for.
    response = _upload(client, too_big, HTTP_ACCEPT_LANGUAGE="uk" if language != "uk" else "en")
    _assert_too_large(response, TOO_LARGE_AVATAR[language], language)
    assert MediaFile.objects.count() == 0 and list(temp_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("accept_language", "language"), [("en-US,en;q=0.9", "en"), ("ru", "ru"), ("uk,ru;q=0.5", "uk")]
)
def test_a_too_large_upload_is_refused_in_the_accept_language(
    client_for: Any, media_storage: Any, temp_dir: Path, accept_language: str, language: str
) -> None:
    client = client_for()  # a token without a saved language
    too_big = b"\xff\xd8\xff\xe0" + b"\x00" * (6 * MB - 4)
    response = _upload(client, too_big, HTTP_ACCEPT_LANGUAGE=accept_language)
    _assert_too_large(response, TOO_LARGE_AVATAR[language], language)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "The file is 1.6 MB; the limit for uploads through the API "
            "(use a direct upload for larger files) is 1.5 MB.",
        ),
        (
            "ru",
            "Размер файла 1,6 МБ; ограничение для загрузок через API "
            "(файлы побольше загружайте напрямую) — 1,5 МБ.",
        ),
        (
            "uk",
            "Розмір файлу 1,6 МБ; обмеження для завантажень через API "
            "(більші файли завантажуйте напряму) — 1,5 МБ.",
        ),
    ],
)
def test_the_multipart_limit_is_named_in_the_languages_units(
    client_for: Any, make_user: Any, settings: Any, temp_dir: Path, language: str, message: str
) -> None:
    settings.MEDIA_MAX_MULTIPART_BYTES = 3 * MB // 2
    client = client_for(make_user(), lang=language)
    too_big = b"\xff\xd8\xff\xe0" + b"\x00" * (MB * 16 // 10)
    response = _upload(client, too_big)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert response.json()["fields"]["file"][0]["message"] == message
