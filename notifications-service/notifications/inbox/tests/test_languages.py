# ruff: noqa: RUF001 - Russian and Ukrainian texts are meant to be Cyrillic
"""Every error a person reads here is in their language: the saved one (the token's `lang`
claim), else `Accept-Language`, else English. The `code` never changes with the language."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.django_db

NOT_FOUND = {
    "en": "No such notification.",
    "ru": "Такого уведомления нет.",
    "uk": "Такого сповіщення немає.",
}


def read(client, **headers):
    return client.post(f"/api/notifications/{uuid.uuid4()}/read/", **headers)


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_an_unknown_notification_in_the_saved_language(client_for, make_user, language):
    # Accept-Language says otherwise: the account's saved language wins.
    response = read(client_for(make_user(), lang=language), HTTP_ACCEPT_LANGUAGE="de, en;q=0.1")
    assert response.status_code == 404
    body = response.json()
    assert (body["code"], body["message"]) == ("notification_not_found", NOT_FOUND[language])
    assert response["Content-Language"] == language


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_an_unknown_notification_by_accept_language(client_for, make_user, language):
    client = client_for(make_user())  # a token without a saved language
    response = read(client, HTTP_ACCEPT_LANGUAGE=f"{language};q=0.9, de;q=0.5")
    assert response.status_code == 404
    body = response.json()
    assert (body["code"], body["message"]) == ("notification_not_found", NOT_FOUND[language])
    assert response["Content-Language"] == language


def test_without_either_it_is_english(client_for, make_user):
    body = read(client_for(make_user()), HTTP_ACCEPT_LANGUAGE="de").json()
    assert body["message"] == NOT_FOUND["en"]


def test_someone_elses_notification_reads_as_unknown_in_their_language(
    announce, like, client_for, make_user
):
    """Not disclosed: another person's notification is answered like a missing one."""
    from notifications.inbox.models import Notification

    author = announce(language="ru")
    like(author, announce(username="bob"))
    theirs = Notification.objects.get(recipient_id=author.id)
    response = client_for(make_user(), lang="uk").post(f"/api/notifications/{theirs.id}/read/")
    assert response.status_code == 404
    assert response.json()["message"] == NOT_FOUND["uk"]


@pytest.mark.parametrize(
    ("language", "types_message", "link_message"),
    [
        (
            "en",
            "Unknown notification type: nope. Known: ",
            "token: This unsubscribe link is invalid.",
        ),
        (
            "ru",
            "Неизвестный тип уведомлений: nope. Известные: ",
            "token: Эта ссылка для отписки недействительна.",
        ),
        (
            "uk",
            "Невідомий тип сповіщень: nope. Відомі: ",
            "token: Це посилання для відписки недійсне.",
        ),
    ],
)
def test_the_other_errors_are_translated_too(
    client_for, api_client, announce, language, types_message, link_message
):
    client = client_for(announce(), lang=language)
    wrong_type = client.patch(
        "/api/notifications/preferences/", {"types": {"nope": {"email": False}}}, format="json"
    )
    assert wrong_type.status_code == 400
    [error] = wrong_type.json()["fields"]["types"]
    assert error["code"] == "unknown_type"
    assert error["message"].startswith(types_message)

    bad_link = api_client.post(
        "/api/notifications/unsubscribe/?token=forged", HTTP_ACCEPT_LANGUAGE=language
    )
    assert bad_link.status_code == 400
    assert (bad_link.json()["code"], bad_link.json()["message"]) == ("invalid_token", link_message)


@pytest.mark.parametrize(
    ("language", "description"),
    [
        ("en", "Someone liked your post or comment."),
        ("ru", "Кому-то понравился ваш пост или комментарий."),
        ("uk", "Комусь сподобався ваш допис або коментар."),
    ],
)
def test_the_preferences_describe_each_type_in_the_readers_language(
    client_for, announce, language, description
):
    response = client_for(announce(), lang=language).get("/api/notifications/preferences/")
    assert response.status_code == 200
    types = {row["type"]: row["description"] for row in response.json()["types"]}
    assert types["like"] == description
