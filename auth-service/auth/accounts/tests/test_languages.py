"""The same bad request answered in the person's language: the `code` stays, the message is
English, Russian or Ukrainian, by `Accept-Language` before signing in and by the account's
saved language (the token's `lang` claim) after."""

from __future__ import annotations

import pytest

from auth.accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
ME = "/api/auth/me/"

USERNAME_TAKEN = {
    "en": "This username is taken.",
    "ru": "Это имя пользователя уже занято.",
    "uk": "Це ім'я користувача вже зайняте.",
}
EMAIL_TAKEN = {
    "en": "This email is already registered.",
    "ru": "Этот адрес электронной почты уже зарегистрирован.",
    "uk": "Ця адреса електронної пошти вже зареєстрована.",
}


def _register(api_client, language: str | None, **payload):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    body = {"email": "newcomer@example.com", "password": PASSWORD}
    return api_client.post(REGISTER, {**body, **payload}, format="json", **headers)


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [("en", "en"), ("ru", "ru"), ("uk-UA,uk;q=0.9,en;q=0.5", "uk"), ("de, ru;q=0.8", "ru")],
)
def test_registering_a_taken_username_is_answered_in_the_accept_language(
    api_client, make_account, accept_language, language
):
    make_account("ada")
    response = _register(api_client, accept_language, username="ADA")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "username_taken"
    assert body["message"] == f"username: {USERNAME_TAKEN[language]}"
    assert body["fields"]["username"] == [
        {"code": "username_taken", "message": USERNAME_TAKEN[language]}
    ]
    assert response["Content-Language"] == language


def test_without_accept_language_the_answer_is_english(api_client, make_account):
    make_account("ada")
    response = _register(api_client, None, username="ada")
    assert response.json()["message"] == f"username: {USERNAME_TAKEN['en']}"
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_a_signed_in_request_is_answered_in_the_saved_language_over_accept_language(
    signed_in, make_account, language
):
    make_account("grace", email="grace@example.com")
    client = signed_in(language=language)
    # The browser says otherwise; the account's saved language (in the token) wins.
    other = "uk" if language != "uk" else "ru"
    response = client.patch(
        ME,
        {"email": "GRACE@example.com", "current_password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE=other,
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "email_taken"
    assert body["message"] == f"email: {EMAIL_TAKEN[language]}"
    assert body["fields"]["email"][0] == {"code": "email_taken", "message": EMAIL_TAKEN[language]}
    assert response["Content-Language"] == language


def test_a_changed_language_takes_effect_with_the_next_token(signed_in, make_account):
    make_account("grace", email="grace@example.com")
    client = signed_in(language="en")
    assert client.patch(ME, {"language": "uk"}, format="json").status_code == 200
    taken = {"email": "grace@example.com", "current_password": PASSWORD}
    # The current token still says en.
    assert (
        client.patch(ME, taken, format="json").json()["fields"]["email"][0]["message"]
        == (EMAIL_TAKEN["en"])
    )
    refreshed = signed_in(client.user)
    assert (
        refreshed.patch(ME, taken, format="json").json()["fields"]["email"][0]["message"]
        == (EMAIL_TAKEN["uk"])
    )
