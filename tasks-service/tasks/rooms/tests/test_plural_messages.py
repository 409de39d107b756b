"""Messages with a number say it the way each language does (ru and uk have three plural
forms): the join-code limit's window and a name's length limit."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from tasks.rooms import services
from tasks.rooms.tests.conftest import Cast

pytestmark = pytest.mark.django_db

JOIN = "/api/tasks/rooms/join/"
WINDOW = {
    ("1m", "en"): "Too many wrong join codes: at most 2 in 1 minute.",
    ("2m", "en"): "Too many wrong join codes: at most 2 in 2 minutes.",
    ("1m", "ru"): "Слишком много неверных кодов приглашения: не больше 2 за 1 минуту.",
    ("2m", "ru"): "Слишком много неверных кодов приглашения: не больше 2 за 2 минуты.",
    ("5m", "ru"): "Слишком много неверных кодов приглашения: не больше 2 за 5 минут.",
    ("21m", "ru"): "Слишком много неверных кодов приглашения: не больше 2 за 21 минуту.",
    ("1m", "uk"): "Забагато неправильних кодів запрошення: не більше 2 за 1 хвилину.",
    ("2m", "uk"): "Забагато неправильних кодів запрошення: не більше 2 за 2 хвилини.",
    ("5m", "uk"): "Забагато неправильних кодів запрошення: не більше 2 за 5 хвилин.",
}


@pytest.mark.parametrize(("window", "language"), sorted(WINDOW))
def test_the_join_code_limit_says_its_window_in_each_plural_form(
    cast: Cast, client_for: Any, settings: Any, window: str, language: str
) -> None:
    settings.TASKS_JOIN_CODE_GUESS_RATE = f"2/{window}"
    cache.clear()
    guesser = client_for(lang=language)
    for _ in range(2):
        assert guesser.post(JOIN, {"code": "000000000"}, format="json").status_code == 400
    refused = guesser.post(JOIN, {"code": cast.room.join_code}, format="json")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled"
    # DRF adds when to try again ("Expected available in 60 seconds."), in the language too.
    assert body["message"].startswith(WINDOW[(window, language)] + " "), body["message"]


@pytest.mark.parametrize(
    ("limit", "language", "message"),
    [
        (21, "en", "name: A room's name has at most 21 characters."),
        (1, "en", "name: A room's name has at most 1 character."),
        (21, "ru", "name: Название комнаты — не длиннее 21 символа."),
        (22, "ru", "name: Название комнаты — не длиннее 22 символов."),
        (21, "uk", "name: Назва кімнати — не довша за 21 символ."),
        (22, "uk", "name: Назва кімнати — не довша за 22 символи."),
        (25, "uk", "name: Назва кімнати — не довша за 25 символів."),
    ],
)
def test_a_length_limit_says_its_number_in_each_plural_form(
    client_for: Any, monkeypatch: Any, limit: int, language: str, message: str
) -> None:
    monkeypatch.setattr(services, "NAME_MAX_LENGTH", limit)
    response = client_for(lang=language).post(
        "/api/tasks/rooms/", {"name": "x" * (limit + 1)}, format="json"
    )
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["message"]) == ("max_length", message)
