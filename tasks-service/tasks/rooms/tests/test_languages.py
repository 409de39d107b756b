"""The same bad request in en, ru and uk, by the saved language (the token's `lang` claim) and
by Accept-Language: the same `code`, the message in that language."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db

JOIN = "/api/tasks/rooms/join/"
ROOMS = "/api/tasks/rooms/"
NO_SUCH_CODE = {
    "en": "No room has this join code.",
    "ru": "Нет комнаты с таким кодом приглашения.",
    "uk": "Немає кімнати з таким кодом запрошення.",
}


@pytest.fixture(autouse=True)
def no_guess_limit_left_over() -> None:
    cache.clear()


def _ask(client_for: Any, how: str, language: str) -> tuple[Any, Any]:
    if how == "saved":
        return client_for(lang=language), {}
    return client_for(lang=None), {"HTTP_ACCEPT_LANGUAGE": f"{language},en;q=0.1"}


@pytest.mark.parametrize("how", ["saved", "accept_language"])
def test_a_wrong_join_code_is_refused_in_the_persons_language(client_for: Any, how: str) -> None:
    messages = {}
    for language in ("en", "ru", "uk"):
        client, headers = _ask(client_for, how, language)
        response = client.post(JOIN, {"code": "zzzzzzzzz"}, format="json", **headers)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid_join_code"
        assert body["fields"]["code"] == [
            {"code": "invalid_join_code", "message": NO_SUCH_CODE[language]}
        ]
        assert response["Content-Language"] == language
        messages[language] = body["fields"]["code"][0]["message"]
    assert len(set(messages.values())) == 3


@pytest.mark.parametrize("how", ["saved", "accept_language"])
def test_a_missing_room_name_keeps_its_code_in_every_language(client_for: Any, how: str) -> None:
    seen = {}
    for language in ("en", "ru", "uk"):
        client, headers = _ask(client_for, how, language)
        response = client.post(ROOMS, {"name": ""}, format="json", **headers)
        assert response.status_code == 400
        field = response.json()["fields"]["name"][0]
        seen[language] = (field["code"], field["message"])
    assert len({code for code, _ in seen.values()}) == 1
    assert len({message for _, message in seen.values()}) == 3
