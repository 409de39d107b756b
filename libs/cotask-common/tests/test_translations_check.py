"""The catalogue check the services' tests run (`cotask_common.testing.translations`) finds an
untranslated message, a lost placeholder and a stale `.mo`."""

from __future__ import annotations

from pathlib import Path

import polib

from cotask_common.testing.translations import catalogue_problems, unmarked_messages


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


UNMARKED_SAMPLE = """
from django.db import models
from django.utils.translation import gettext as _, gettext_lazy
from rest_framework import exceptions, serializers
from cotask_common.errors import Conflict, NotFound, ServiceError


class GoneError(NotFound):
    default_detail = "It is gone."


class Rejected(ServiceError):
    def __init__(self, code, message, *, field="file"):
        super().__init__(message, code=code)


class Thing(models.Model):
    name = models.CharField(error_messages={"unique": "Taken already."})


def _refuse(message, code):
    return ServiceError(message, code=code)


def view(name, limit):
    raise Conflict.for_field("name", "This name is taken.", code="name_taken")
    raise NotFound(f"No thing {name!r}.", code="not_found")
    raise serializers.ValidationError({"name": "Too long."})
    raise exceptions.PermissionDenied(detail="Not yours.")
    raise exceptions.Throttled(5, "Slow down.")
    raise Rejected("too_large", "Too large: %s." % limit)
    raise _refuse("No access.", "denied")
    raise serializers.ValidationError({"n": [serializers.ErrorDetail("Give one.", code="one")]})
    return {"detail": "Mail is on its way."}
"""

MARKED_SAMPLE = """
from django.utils.translation import gettext as _, gettext_lazy, ngettext
from rest_framework import exceptions, serializers
from cotask_common.errors import Conflict, NotFound, ServiceError


class GoneError(NotFound):
    default_detail = gettext_lazy("It is gone.")


def view(name, limit, field, message):
    logger.info("Refused %s", name)  # a log line is for operators
    raise RuntimeError("the storage did not answer")  # for operators too
    raise Conflict.for_field("name", _("This name is taken."), code="name_taken")
    raise NotFound(_("No thing %(name)s.") % {"name": "a, b"}, code="not_found")
    raise ServiceError(f"{field}: {message}", code="invalid")  # only joins texts
    raise serializers.ValidationError({"name": ngettext("%(n)d day.", "%(n)d days.", limit)})
    raise exceptions.PermissionDenied(detail=_("Not yours."), code="not_owner")
    raise ServiceError("Kept as it is.")  # i18n-ok: a test of the escape
    raise ServiceError("")
"""


def test_a_text_for_people_written_as_a_plain_string_is_found(tmp_path: Path) -> None:
    code = tmp_path / "app"
    (code / "tests").mkdir(parents=True)
    (code / "migrations").mkdir()
    (code / "views.py").write_text(UNMARKED_SAMPLE)
    (code / "marked.py").write_text(MARKED_SAMPLE)
    (code / "admin.py").write_text(
        "from rest_framework import exceptions\n"
        "raise exceptions.ValidationError('Staff read English.')\n"
    )
    (code / "tests" / "test_x.py").write_text(UNMARKED_SAMPLE)
    (code / "migrations" / "0001_x.py").write_text(UNMARKED_SAMPLE)
    found = unmarked_messages([code])
    assert [line.split(": ", 1)[1] for line in found] == [
        '"It is gone."',
        '"Taken already."',
        '"This name is taken."',
        'f"No thing {name!r}."',
        '"Too long."',
        '"Not yours."',
        '"Slow down."',
        '"Too large: %s."',
        '"No access."',
        '"Give one."',
        '"Mail is on its way."',
    ]
    assert all(line.startswith("app/views.py:") for line in found)


def test_every_text_for_people_in_the_kit_is_marked() -> None:
    import cotask_common

    assert unmarked_messages([Path(cotask_common.__file__).parent]) == []
