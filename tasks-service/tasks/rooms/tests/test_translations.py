"""Every message of the rooms app is in ru and uk, and the committed catalogues are compiled."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

from cotask_common.testing.translations import catalogue_problems

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale"
ROOMS = Path(__file__).resolve().parents[1]
MESSAGE = re.compile(r"""\b_\(\s*"((?:[^"\\]|\\.)+)"\s*\)""")


def test_catalogues_are_complete_and_compiled() -> None:
    assert catalogue_problems(LOCALE) == []


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_rooms_message_is_translated(language: str) -> None:
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid for entry in catalogue.translated_entries()}
    messages = {m for path in ROOMS.glob("*.py") for m in MESSAGE.findall(path.read_text())}
    assert len(messages) > 20
    assert messages - translated == set()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "Нет комнаты с таким кодом приглашения."),
        ("uk", "Немає кімнати з таким кодом запрошення."),
    ],
)
def test_errors_speak_the_readers_language(make_user, language: str, expected: str) -> None:
    """In the active language (the one the kit activates for a request)."""
    from tasks.rooms import services
    from tasks.rooms.selectors import room_with_counts
    from tasks.rooms.serializers import RoomOutput

    user = make_user()
    with translation.override(language):
        with pytest.raises(services.InvalidJoinCode) as refused:
            services.room_join(user=user, code="000000000")
        space = services.personal_space_for(user=user)
        name = RoomOutput(room_with_counts(room_id=space.id, user=user)).data["name"]
    assert refused.value.code == "invalid_join_code"  # codes never change with the language
    assert refused.value.fields["code"][0]["message"] == expected
    assert name not in ("", "Personal space")


def test_role_names_are_translated() -> None:
    from tasks.rooms.access import RoomRoleRequired

    with translation.override("ru"):
        assert "«администратор»" in str(RoomRoleRequired("admin").detail)
    with translation.override("uk"):
        assert "«адміністратор»" in str(RoomRoleRequired("admin").detail)
