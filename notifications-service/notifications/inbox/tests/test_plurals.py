# ruff: noqa: RUF001 - Russian and Ukrainian texts are meant to be Cyrillic
"""Texts with a number or a moment. The grouped notification text follows each language's
plural rules: English has two forms, Russian and Ukrainian three (1, 21 / 2-4 / 5-20, 111),
picked from the catalogues by the number of other people. The end of a ban is said in the
person's time zone and their language's date format."""

from __future__ import annotations

import pytest

from notifications.inbox.models import Notification
from notifications.inbox.types import WHAT, get_type, word

COUNTS = (1, 2, 5, 21, 111)
EXPECTED = {
    "en": [
        "Ann and 1 other liked your post",
        "Ann and 2 others liked your post",
        "Ann and 5 others liked your post",
        "Ann and 21 others liked your post",
        "Ann and 111 others liked your post",
    ],
    "ru": [
        "Ann и ещё 1 пользователь оценили ваш пост",
        "Ann и ещё 2 пользователя оценили ваш пост",
        "Ann и ещё 5 пользователей оценили ваш пост",
        "Ann и ещё 21 пользователь оценили ваш пост",
        "Ann и ещё 111 пользователей оценили ваш пост",
    ],
    "uk": [
        "Ann та ще 1 користувач вподобали ваш допис",
        "Ann та ще 2 користувачі вподобали ваш допис",
        "Ann та ще 5 користувачів вподобали ваш допис",
        "Ann та ще 21 користувач вподобали ваш допис",
        "Ann та ще 111 користувачів вподобали ваш допис",
    ],
}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_the_grouped_like_text_has_the_right_plural_form(language: str) -> None:
    like = get_type("like")
    texts = [
        like.render(
            language=language, actor="Ann", others=others, params={"what": word(WHAT, "post")}
        )
        for others in COUNTS
    ]
    assert texts == EXPECTED[language]


@pytest.mark.parametrize(
    ("language", "one_other", "two_others"),
    [
        ("en", "Cid and 1 other liked your comment", "Dan and 2 others liked your comment"),
        (
            "ru",
            "Cid и ещё 1 пользователь оценили ваш комментарий",
            "Dan и ещё 2 пользователя оценили ваш комментарий",
        ),
        (
            "uk",
            "Cid та ще 1 користувач вподобали ваш коментар",
            "Dan та ще 2 користувачі вподобали ваш коментар",
        ),
    ],
)
@pytest.mark.django_db
def test_a_burst_of_likes_is_stored_in_the_recipients_plural_form(
    announce, like, language, one_other, two_others
):
    """Through the events: the row is regrouped as likes arrive, rendered in the recipient's
    language whatever language is active while the event is handled."""
    author = announce(language=language)
    post = "0190b0c0-0000-7000-8000-000000000001"
    seen = []
    for name in ("bob", "cid", "dan"):
        like(author, announce(username=name), post_id=post, kind="comment")
        seen.append(Notification.objects.get(recipient_id=author.id).text)
    assert seen[1:] == [one_other, two_others]
    assert Notification.objects.get(recipient_id=author.id).language == language


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Your account is banned until Dec. 5, 2026, 2 p.m. (Europe/Kyiv). Reason: spam"),
        ("ru", "Ваш аккаунт заблокирован до 5 декабря 2026 г. 14:00 (Europe/Kyiv). Причина: spam"),
        ("uk", "Ваш акаунт заблоковано до 05 грудня 2026 р. 14:00 (Europe/Kyiv). Причина: spam"),
    ],
)
@pytest.mark.django_db
def test_the_end_of_a_ban_is_in_the_persons_time_zone_and_language(
    announce, deliver, language, expected
):
    user = announce(language=language)
    deliver(type="auth.user.updated", key=user.id, data={"time_zone": "Europe/Kyiv"})
    deliver(
        type="auth.user.banned",
        key=user.id,
        data={"until": "2026-12-05T12:00:00+00:00", "reason": "spam"},
    )
    [notification] = Notification.objects.filter(recipient_id=user.id)
    assert notification.text == expected


def test_a_type_registered_with_per_language_texts_still_renders() -> None:
    """Types written before the catalogues (a `texts` dict per language) keep working."""
    from notifications.inbox.types import NotificationType

    legacy = NotificationType(
        key="legacy",
        texts={
            "en": ("{actor} did it", "{actor} and {others} others did it"),
            "ru": ("{actor} сделал это", "{actor} и ещё {others} сделали это"),
        },
    )
    assert legacy.render(language="en", actor="Ann", others=1, params={}) == (
        "Ann and 1 other did it"
    )
    assert legacy.render(language="ru", actor="Ann", others=0, params={}) == "Ann сделал это"
    assert legacy.render(language="uk", actor="Ann", others=0, params={}) == "Ann did it"
