"""Every message of habits-service is in ru and uk (plurals too), and the committed catalogues
are compiled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cotask_common.testing.translations import catalogue_problems
from habits.tracking.tests.conftest import Cast, days_ago

pytestmark = pytest.mark.django_db

HABITS = Path(__file__).resolve().parents[2]


def test_catalogues_are_complete_and_compiled() -> None:
    assert catalogue_problems(HABITS / "locale", sources=[HABITS]) == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "A check-in is for today or at most 7 days back."),
        ("ru", "Отметиться можно за сегодня или не более чем за 7 дней назад."),
        ("uk", "Позначитися можна за сьогодні або не більше ніж за 7 днів тому."),
    ],
)
def test_errors_speak_the_readers_language(
    make_habit: Any, cast: Cast, language: str, expected: str
) -> None:
    habit = make_habit(start_date=days_ago(30).isoformat())
    response = cast.owner.put(
        f"/api/habits/habits/{habit['id']}/checkins/",
        {"day": days_ago(8).isoformat()},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    body = response.json()
    assert body["code"] == "too_far_back"  # codes never change with the language
    assert body["fields"]["day"] == [{"code": "too_far_back", "message": expected}]
    missing = cast.owner.get("/api/habits/habits/nope/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert missing["code"] == "habit_not_found"
    assert (
        missing["message"]
        == {
            "en": "No habit with this id.",
            "ru": "Нет привычки с таким id.",
            "uk": "Немає звички з таким id.",
        }[language]
    )


def test_plurals_follow_the_number() -> None:
    from django.utils import translation

    from habits.tracking import services
    from habits.tracking.models import Habit

    with translation.override("ru"), pytest.raises(services.ServiceError) as refused:
        services._clean(
            Habit(), {"name": "x", "unit": "u" * 25, "kind": "measurable", "target_value": 1}
        )
    assert refused.value.fields["unit"][0]["message"] == "Не больше 24 символов."
