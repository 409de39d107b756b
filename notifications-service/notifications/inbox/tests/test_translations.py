"""The new-post alert messages people read exist in ru and uk, and the committed .mo files match
their .po sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from cotask_common.testing.translations import catalogue_problems

LOCALE = Path(__file__).resolve().parents[2] / "locale"
MESSAGE = "No page with the id %(id)s that you follow."


@pytest.mark.parametrize(
    ("language", "start"), [("en", "No page"), ("ru", "Нет страницы"), ("uk", "Немає сторінки")]
)
def test_the_page_not_found_message_is_translated(language: str, start: str) -> None:
    with translation.override(language):
        assert translation.gettext(MESSAGE).startswith(start)


def test_the_catalogues_are_complete_and_compiled() -> None:
    assert catalogue_problems(LOCALE) == []
