"""The curated subjects a mentor teaches: a stable code (what the API takes and filters on) and a
name in the reader's language (the translation catalogue holds the en/ru/uk names). Free tags
cover the rest."""

from __future__ import annotations

import functools

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SUBJECTS: dict[str, Promise] = {
    "python": _("Python"),
    "javascript": _("JavaScript"),
    "java": _("Java"),
    "web_development": _("Web development"),
    "data_science": _("Data science"),
    "machine_learning": _("Machine learning"),
    "algorithms": _("Algorithms"),
    "databases": _("Databases"),
    "devops": _("DevOps"),
    "mathematics": _("Mathematics"),
    "physics": _("Physics"),
    "chemistry": _("Chemistry"),
    "biology": _("Biology"),
    "english": _("English"),
    "ukrainian": _("Ukrainian"),
    "russian": _("Russian"),
    "german": _("German"),
    "design": _("Design"),
    "music": _("Music"),
    "writing": _("Writing"),
    "business": _("Business"),
    "productivity": _("Productivity"),
}


def subject_list() -> list[dict[str, str]]:
    """Every subject with its name in the active language, in the catalogue's order."""
    return [{"code": code, "name": name} for code, name in subject_names().items()]


def subject_names() -> dict[str, str]:
    """Each subject's name in the active language: translated once per language for the
    process, not once per mentor of each list (a list of 20 mentors translated ~15 names)."""
    return _names_in(translation.get_language())


@functools.lru_cache(maxsize=8)
def _names_in(language: str | None) -> dict[str, str]:
    with translation.override(language):
        return {code: str(name) for code, name in SUBJECTS.items()}
