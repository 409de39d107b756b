"""Social-service answers in the person's language: the saved one (the access token's `lang`
claim), else `Accept-Language`, else English. The same bad request keeps its `code` in every
language; only the message changes, and it is the catalogue's exact text."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

API = "/api/social"
LANGUAGES = ("en", "ru", "uk")
WAYS = ("saved", "accept_language")


def speak(client: Any, make_token: Callable[..., str], *, language: str, way: str) -> None:
    """Make `client` ask in `language`: saved on the account (in the token), or only by the
    request's `Accept-Language` (its token then carries no language)."""
    if way == "saved":
        token = make_token(client.user, lang=language)
        client.defaults.pop("HTTP_ACCEPT_LANGUAGE", None)
    else:
        token = make_token(client.user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")


@dataclass
class Expected:
    status: int
    code: str
    texts: dict[str, str]  # language -> the exact message
    field: str | None = None  # a field error: `fields[field][0]` holds code and text


def check(response: Any, expected: Expected, language: str) -> str:
    """The response is `expected` in `language`; returns its message."""
    assert response.status_code == expected.status, response.content
    assert response["Content-Language"] == language
    body = response.json()
    text = expected.texts[language]
    if expected.field is None:
        assert (body["code"], body["message"]) == (expected.code, text)
        return body["message"]
    [error] = body["fields"][expected.field]
    assert (error["code"], error["message"]) == (expected.code, text)
    assert body["message"] == f"{expected.field}: {text}"
    return error["message"]


def ask_in_every_language(
    client: Any,
    make_token: Callable[..., str],
    way: str,
    request: Callable[[], Any],
    expected: Expected,
) -> None:
    messages = {}
    for language in LANGUAGES:
        speak(client, make_token, language=language, way=way)
        messages[language] = check(request(), expected, language)
    assert len(set(messages.values())) == len(LANGUAGES), messages


@pytest.mark.parametrize("way", WAYS)
def test_a_post_on_someone_elses_page_is_refused_in_the_persons_language(
    member: Any, make_token: Callable[..., str], way: str
) -> None:
    ada, bob = member("ada"), member("bob")
    expected = Expected(
        status=403,
        code="not_page_owner",
        texts={
            "en": "You can post only on your own pages.",
            "ru": "Публиковать можно только на своих страницах.",
            "uk": "Публікувати можна лише на власних сторінках.",
        },
    )

    def post_on_adas_page() -> Any:
        return bob.post(f"{API}/pages/ada/posts/", {"text": "hi"}, format="json")

    ask_in_every_language(bob, make_token, way, post_on_adas_page, expected)
    assert not ada.get(f"{API}/pages/ada/posts/").json()["results"]


def test_the_saved_language_beats_accept_language_and_english_is_the_default(
    member: Any, make_token: Callable[..., str]
) -> None:
    member("ada")
    bob = member("bob")

    def post_on_adas_page() -> Any:
        return bob.post(f"{API}/pages/ada/posts/", {"text": "hi"}, format="json")

    bob.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(bob.user, lang='uk')}")
    bob.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru-RU,ru;q=0.9,en;q=0.5"
    response = post_on_adas_page()
    assert response["Content-Language"] == "uk"
    assert response.json()["message"] == "Публікувати можна лише на власних сторінках."
    assert "Accept-Language" in response["Vary"] and "Authorization" in response["Vary"]

    bob.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(bob.user)}")
    bob.defaults["HTTP_ACCEPT_LANGUAGE"] = "de-DE,fr;q=0.8,uk;q=0.5"  # the best match we have
    assert post_on_adas_page().json()["message"].startswith("Публікувати")
    bob.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    response = post_on_adas_page()
    assert response["Content-Language"] == "en"
    assert response.json()["message"] == "You can post only on your own pages."


# Other common refusals, each set up once: (who asks, the request, what comes back).


def someone_elses_post_edited(member: Callable[..., Any], page_of: Any) -> tuple:
    ada, bob = member("ada"), member("bob")
    post_id = ada.post(f"{API}/pages/ada/posts/", {"text": "mine"}, format="json").json()["id"]
    return (
        bob,
        lambda: bob.patch(f"{API}/posts/{post_id}/", {"text": "yours now"}, format="json"),
        Expected(
            403,
            "not_author",
            {
                "en": "Only the author may edit a post.",
                "ru": "Редактировать пост может только его автор.",
                "uk": "Редагувати допис може лише його автор.",
            },
        ),
    )


def an_unknown_post(member: Callable[..., Any], page_of: Any) -> tuple:
    bob = member("bob")
    missing = uuid.uuid4()
    return (
        bob,
        lambda: bob.get(f"{API}/posts/{missing}/"),
        Expected(
            404,
            "not_found",
            {
                "en": f"No post with the id '{missing}'.",
                "ru": f"Нет поста с идентификатором '{missing}'.",
                "uk": f"Немає допису з ідентифікатором '{missing}'.",
            },
        ),
    )


def a_taken_handle(member: Callable[..., Any], page_of: Any) -> tuple:
    ada, bob = member("ada"), member("bob")
    page_of(ada, "StudyGroup")
    return (
        bob,
        lambda: bob.post(f"{API}/pages/", {"handle": "studygroup", "name": "S"}, format="json"),
        Expected(
            409,
            "taken",
            {
                "en": "The handle 'studygroup' is taken (handles ignore case).",
                "ru": "Короткое имя 'studygroup' занято (регистр букв не учитывается).",
                "uk": "Коротке ім'я 'studygroup' вже зайняте (регістр літер не враховується).",
            },
            field="handle",
        ),
    )


def a_private_pages_posts(member: Callable[..., Any], page_of: Any) -> tuple:
    ada, bob = member("ada"), member("bob")
    page_of(ada, "diary", private=True)
    return (
        bob,
        lambda: bob.get(f"{API}/pages/diary/posts/"),
        Expected(
            403,
            "page_private",
            {
                "en": "This page is private: only its approved followers see its posts and "
                "followers.",
                "ru": "Это закрытая страница: её посты и подписчиков видят только одобренные "
                "подписчики.",
                "uk": "Це закрита сторінка: її дописи та підписників бачать лише схвалені "
                "підписники.",
            },
        ),
    )


def an_empty_comment(member: Callable[..., Any], page_of: Any) -> tuple:
    ada = member("ada")
    post_id = ada.post(f"{API}/pages/ada/posts/", {"text": "hi"}, format="json").json()["id"]
    return (
        ada,
        lambda: ada.post(f"{API}/posts/{post_id}/comments/", {"text": "  "}, format="json"),
        Expected(
            400,
            "required",
            {
                "en": "A comment cannot be empty.",
                "ru": "Комментарий не может быть пустым.",
                "uk": "Коментар не може бути порожнім.",
            },
            field="text",
        ),
    )


def following_ones_own_page(member: Callable[..., Any], page_of: Any) -> tuple:
    ada = member("ada")
    return (
        ada,
        lambda: ada.post(f"{API}/pages/ada/follow/"),
        Expected(
            400,
            "own_page",
            {
                "en": "You own this page: its posts are in your feed already.",
                "ru": "Это ваша страница: её посты уже есть в вашей ленте.",
                "uk": "Це ваша сторінка: її дописи вже є у вашій стрічці.",
            },
        ),
    )


def a_report_of_nothing(member: Callable[..., Any], page_of: Any) -> tuple:
    bob = member("bob")
    return (
        bob,
        lambda: bob.post(
            f"{API}/reports/",
            {"target_type": "post", "target_id": str(uuid.uuid4()), "reason": "spam"},
            format="json",
        ),
        Expected(
            404,
            "not_found",
            {
                "en": "No post with this id.",
                "ru": "Нет поста с таким идентификатором.",
                "uk": "Немає допису з таким ідентифікатором.",
            },
            field="target_id",
        ),
    )


def a_bad_page_size(member: Callable[..., Any], page_of: Any) -> tuple:
    bob = member("bob")
    return (
        bob,
        lambda: bob.get(f"{API}/feed/?page_size=0"),
        Expected(
            400,
            "invalid",
            {
                "en": "A number from 1 to 100, got '0'.",
                "ru": "Число от 1 до 100, получено '0'.",
                "uk": "Число від 1 до 100, отримано '0'.",
            },
            field="page_size",
        ),
    )


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    "scenario",
    [
        someone_elses_post_edited,
        an_unknown_post,
        a_taken_handle,
        a_private_pages_posts,
        an_empty_comment,
        following_ones_own_page,
        a_report_of_nothing,
        a_bad_page_size,
    ],
)
def test_common_refusals_keep_their_code_in_every_language(
    member: Any, page_of: Any, make_token: Callable[..., str], scenario: Any, way: str
) -> None:
    client, request, expected = scenario(member, page_of)
    ask_in_every_language(client, make_token, way, request, expected)


@pytest.mark.parametrize(
    ("limit", "ru", "uk"),
    [
        (1, "Не более 1 символа, получено 2.", "Щонайбільше 1 символ, отримано 2."),
        (2, "Не более 2 символов, получено 3.", "Щонайбільше 2 символи, отримано 3."),
        (5, "Не более 5 символов, получено 6.", "Щонайбільше 5 символів, отримано 6."),
        (21, "Не более 21 символа, получено 22.", "Щонайбільше 21 символ, отримано 22."),
        (111, "Не более 111 символов, получено 112.", "Щонайбільше 111 символів, отримано 112."),
    ],
)
def test_a_limit_in_a_message_takes_the_languages_plural_form(
    member: Any, make_token: Callable[..., str], settings: Any, limit: int, ru: str, uk: str
) -> None:
    settings.SOCIAL_POST_MAX_LENGTH = limit
    ada = member("ada")
    english = f"At most {limit} character{'s' if limit != 1 else ''}, got {limit + 1}."
    expected = Expected(400, "too_long", {"en": english, "ru": ru, "uk": uk}, field="text")

    def too_long() -> Any:
        return ada.post(f"{API}/pages/ada/posts/", {"text": "x" * (limit + 1)}, format="json")

    ask_in_every_language(ada, make_token, "saved", too_long, expected)
