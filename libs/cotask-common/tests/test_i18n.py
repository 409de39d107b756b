"""The kit answers every request in the person's language: the token's saved language, else
Accept-Language, else English; errors keep their code and translate their message."""

from __future__ import annotations

import pytest
from django.test import Client

from cotask_common.security.tokens import verified_tokens
from cotask_common.testing.translations import catalogue_problems
from cotask_common.throttling import describe_rate

KIT = __import__("cotask_common").__path__[0]


@pytest.fixture(autouse=True)
def fresh_token_cache():
    verified_tokens.clear()
    yield
    verified_tokens.clear()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", ("ru", "Здесь ничего нет.")),
        ("uk", ("uk", "Тут нічого немає.")),
        ("de-DE, fr;q=0.5", ("en", "Nothing is here.")),
        ("", ("en", "Nothing is here.")),
        ("fr;q=0.9, uk;q=0.8", ("uk", "Тут нічого немає.")),
    ],
)
def test_accept_language_picks_the_language_of_an_error(accept, expected) -> None:
    response = Client().get("/api/kit/no-such-thing", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (response["Content-Language"], response.json()["message"]) == expected
    assert "Accept-Language" in response["Vary"]


def test_the_saved_language_in_the_token_wins_over_accept_language(make_token) -> None:
    token = make_token(lang="uk")
    response = Client().get(
        "/api/kit/no-such-thing",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response["Content-Language"] == "uk"
    assert response.json()["message"] == "Тут нічого немає."


def test_an_unsupported_saved_language_falls_back_to_accept_language(make_token) -> None:
    token = make_token(lang="xx")
    response = Client().get(
        "/api/kit/nothing", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response["Content-Language"] == "ru"


def test_a_token_error_is_translated_and_keeps_its_code(make_token) -> None:
    from datetime import timedelta

    expired = make_token(lifetime=timedelta(seconds=-120))
    answers = {
        language: Client()
        .get(
            "/api/kit/whoami",
            HTTP_AUTHORIZATION=f"Bearer {expired}",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        .json()
        for language in ("en", "ru", "uk")
    }
    assert {a["code"] for a in answers.values()} == {"token_expired"}
    assert answers["en"]["message"] == "The token has expired."
    assert answers["ru"]["message"] == "Срок действия токена истёк."
    assert answers["uk"]["message"] == "Термін дії токена минув."


@pytest.mark.parametrize(
    ("language", "multiplier", "expected"),
    [
        ("en", 1, "3 per minute"),
        ("en", 15, "3 per 15 minutes"),
        ("ru", 1, "3 в минуту"),
        ("ru", 2, "3 за 2 минуты"),
        ("ru", 5, "3 за 5 минут"),
        ("ru", 21, "3 за 21 минуту"),
        ("ru", 111, "3 за 111 минут"),
        ("uk", 2, "3 за 2 хвилини"),
        ("uk", 5, "3 за 5 хвилин"),
        ("uk", 21, "3 за 21 хвилину"),
        ("uk", 111, "3 за 111 хвилин"),
    ],
)
def test_a_limit_is_described_with_the_languages_plural_rules(language, multiplier, expected):
    from django.utils import translation

    with translation.override(language):
        assert describe_rate(3, multiplier, "m") == expected


def test_the_kits_catalogues_are_complete_and_compiled() -> None:
    from pathlib import Path

    kit = Path(KIT)
    assert catalogue_problems(kit / "locale", sources=[kit]) == []


def _drf_messages() -> set[str]:
    """Every literal DRF marks with `_()` in its source: the messages its fields, validators,
    throttles and exceptions can answer with."""
    import pathlib
    import re

    import rest_framework

    marked = re.compile(r"""\b_\(\s*(['"])(.+?)\1\s*\)""")
    return {
        match.group(2)
        for path in pathlib.Path(rest_framework.__path__[0]).rglob("*.py")
        for match in marked.finditer(path.read_text())
    }


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_message_drf_can_answer_with_is_translated(language) -> None:
    from django.utils import translation

    from cotask_common.drf_messages import DOCS_ONLY

    messages = _drf_messages() - DOCS_ONLY
    assert len(messages) > 80  # the scan still finds DRF's texts
    with translation.override(language):
        untranslated = sorted(m for m in messages if translation.gettext(m) == m)
    assert untranslated == []


def test_a_bad_uuid_is_refused_in_ukrainian() -> None:
    from django.utils import translation
    from rest_framework import serializers

    field = serializers.UUIDField()
    with translation.override("uk"), pytest.raises(serializers.ValidationError) as refused:
        field.run_validation("not-a-uuid")
    assert refused.value.detail == ["Має бути коректним UUID."]


KIT_TEXTS = {
    "en": {
        "role": "This needs the moderator role.",
        "verified": "Verify your email address first.",
        "throttled": "Too many requests: at most 3 per minute.",
        "inactive": "This account has been deactivated.",
        "banned": "This account is banned permanently. Reason: spam",
        "algorithm": "Tokens must be signed with RS256, not 'HS256'.",
        "invalid": "Invalid input.",
    },
    "ru": {
        "role": "Для этого нужна роль moderator.",
        "verified": "Сначала подтвердите адрес электронной почты.",
        "throttled": "Слишком много запросов: не более 3 в минуту.",
        "inactive": "Эта учётная запись отключена.",
        "banned": "Эта учётная запись заблокирована навсегда. Причина: spam",
        "algorithm": "Токены должны быть подписаны RS256, а не 'HS256'.",
        "invalid": "Неверные данные.",
    },
    "uk": {
        "role": "Для цього потрібна роль moderator.",
        "verified": "Спочатку підтвердьте адресу електронної пошти.",
        "throttled": "Забагато запитів: не більше 3 на хвилину.",
        "inactive": "Цей обліковий запис вимкнено.",
        "banned": "Цей обліковий запис заблоковано назавжди. Причина: spam",
        "algorithm": "Токени мають бути підписані RS256, а не 'HS256'.",
        "invalid": "Неправильні дані.",
    },
}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_the_kits_own_texts_are_in_each_language(language) -> None:
    """What the kit says itself (role and verification refusals, throttling, ban and
    deactivation, token failures, the error shape's default) is in the request's language."""
    import jwt
    from django.utils import translation
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from cotask_common.errors import _summary
    from cotask_common.roles import Role
    from cotask_common.security.authentication import ban_message, inactive_message
    from cotask_common.security.permissions import IsEmailVerified, IsModerator
    from cotask_common.security.tokens import TokenError, TokenUser, decode_token
    from cotask_common.throttling import RateThrottle

    request = Request(APIRequestFactory().get("/"))
    request.user = TokenUser(  # type: ignore[assignment]
        id=__import__("uuid").uuid4(),
        username="ada",
        role=Role.USER,
        email_verified=False,
        session_id=None,
    )
    forged = jwt.encode({"sub": "x"}, "s" * 32, algorithm="HS256", headers={"kid": "k"})
    with translation.override(language):
        role = IsModerator()
        assert not role.has_permission(request, None)
        throttle = RateThrottle()
        throttle.parse_rate("3/m")
        with pytest.raises(TokenError) as refused:
            decode_token(forged)
        said = {
            "role": str(role.message),
            "verified": str(IsEmailVerified().message),
            "throttled": throttle.message(),
            "inactive": inactive_message(),
            "banned": ban_message(until=None, reason="spam", time_zone=None),
            "algorithm": refused.value.message,
            "invalid": _summary({}),
        }
    assert said == KIT_TEXTS[language]
    assert refused.value.code == "token_algorithm_not_allowed"
