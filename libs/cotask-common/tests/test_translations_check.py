"""The catalogue check the services' tests run (`cotask_common.testing.translations`) finds an
untranslated message, a lost placeholder and a stale `.mo`."""

from __future__ import annotations

from pathlib import Path

import polib

from cotask_common.testing.translations import catalogue_problems


def _catalogue(folder: Path, translations: dict[str, str]) -> Path:
    messages = folder / "ru" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "ru"}
    for msgid, msgstr in translations.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.save(str(messages / "django.po"))
    po.save_as_mofile(str(messages / "django.mo"))
    return messages


def test_a_complete_compiled_catalogue_passes(tmp_path: Path) -> None:
    _catalogue(tmp_path, {"No page %(id)s.": "Нет страницы %(id)s."})
    assert catalogue_problems(tmp_path, languages=("ru",)) == []


def test_missing_translations_placeholders_and_stale_mo_are_found(tmp_path: Path) -> None:
    messages = _catalogue(
        tmp_path, {"Hello.": "", "No page %(id)s.": "Нет страницы.", "Bye.": "Пока."}
    )
    po = polib.pofile(str(messages / "django.po"))
    po.find("Bye.").msgstr = "До свидания."  # edited after the last compile
    po.save()
    problems = catalogue_problems(tmp_path, languages=("ru",))
    assert any("not translated: 'Hello.'" in p for p in problems)
    assert any("placeholders differ in 'No page %(id)s.'" in p for p in problems)
    assert any("stale" in p for p in problems)
    assert catalogue_problems(tmp_path, languages=("uk",)) == [
        f"{tmp_path / 'uk' / 'LC_MESSAGES' / 'django.po'}: missing"
    ]


def test_a_message_written_in_code_but_missing_from_the_catalogue_is_found(
    tmp_path: Path,
) -> None:
    _catalogue(tmp_path / "locale", {"Known.": "Известно."})
    code = tmp_path / "app"
    (code / "tests").mkdir(parents=True)
    (code / "views.py").write_text(
        "from django.utils.translation import gettext as _, pgettext_lazy\n"
        "A = _('Known.')\n"
        "B = pgettext_lazy('menu', 'New text.')\n"
    )
    (code / "tests" / "test_x.py").write_text("_('Only in a test.')\n")
    problems = catalogue_problems(tmp_path / "locale", languages=("ru",), sources=[code])
    assert problems == ["ru: not in the catalogue (run `make messages`): 'New text.'"]
