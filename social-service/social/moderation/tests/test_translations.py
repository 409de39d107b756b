"""The moderation messages people read exist in ru and uk, and the committed .mo files match
their .po sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[1] / "locale"
MESSAGE = "A moderator may only moderate what belongs to accounts with a lower role."


@pytest.mark.parametrize(
    ("language", "start"),
    [("en", "A moderator"), ("ru", "Модератор может"), ("uk", "Модератор може")],
)
def test_the_rank_rule_message_is_translated(language: str, start: str) -> None:
    with translation.override(language):
        assert translation.gettext(MESSAGE).startswith(start)


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="msgfmt (gettext) is not installed")
@pytest.mark.parametrize("language", ["ru", "uk"])
def test_committed_translations_are_compiled(tmp_path: Path, language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(compiled), str(folder / "django.po")], check=True
    )
    assert compiled.read_bytes() == (folder / "django.mo").read_bytes(), (
        "run `manage.py compilemessages` and commit the .mo files"
    )
