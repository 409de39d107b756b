"""Checks of a service's committed message catalogues (`locale/<lang>/LC_MESSAGES/django.po` and
its compiled `.mo`), for the services' tests. Read with polib, so they run where gettext's
`msgfmt` is not installed (CI machines): every message is translated (no empty or fuzzy
entry), a translation keeps the original's placeholders, and the committed `.mo` holds exactly
what the `.po` says (`manage.py compilemessages` was run after the last edit)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

import polib

LANGUAGES = ("ru", "uk")
# `%(name)s`, `%s`, `%d` and `{name}`: what Django's and Python's formatting fill in.
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[a-z_]*\}")


# The gettext functions whose first literal argument is a message id (as `makemessages` reads).
GETTEXT_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
_WITH_CONTEXT = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


def source_messages(sources: Iterable[Path]) -> set[str]:
    """The message ids of every gettext call with a literal text in the Python files under
    `sources` (tests and migrations left out)."""
    found: set[str] = set()
    for root in sources:
        for path in sorted(root.rglob("*.py")):
            if {"tests", "migrations"} & set(path.relative_to(root).parts):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in GETTEXT_CALLS:
                    continue
                position = 1 if name in _WITH_CONTEXT else 0
                if len(node.args) > position:
                    argument = node.args[position]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        found.add(argument.value)
    return found


def catalogue_problems(
    locale_dir: Path,
    *,
    languages: tuple[str, ...] = LANGUAGES,
    sources: Iterable[Path] = (),
) -> list[str]:
    """Everything wrong with the catalogues under `locale_dir`, one line each (empty: fine).
    With `sources`, a message written in their code but absent from a catalogue is a problem
    too (run `make messages`)."""
    problems: list[str] = []
    written = source_messages(sources)
    for language in languages:
        folder = locale_dir / language / "LC_MESSAGES"
        po_path, mo_path = folder / "django.po", folder / "django.mo"
        if not po_path.exists():
            problems.append(f"{po_path}: missing")
            continue
        po = polib.pofile(str(po_path))
        catalogued = {entry.msgid for entry in po if not entry.obsolete}
        for msgid in sorted(written - catalogued):
            problems.append(f"{language}: not in the catalogue (run `make messages`): {msgid!r}")
        for entry in po.untranslated_entries() + po.fuzzy_entries():
            problems.append(f"{language}: not translated: {entry.msgid!r}")
        for entry in po.translated_entries():
            wanted = sorted(PLACEHOLDER.findall(entry.msgid))
            for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                if text and sorted(set(PLACEHOLDER.findall(text))) != sorted(set(wanted)):
                    problems.append(f"{language}: placeholders differ in {entry.msgid!r}: {text!r}")
        if not mo_path.exists():
            problems.append(f"{mo_path}: not compiled (run `manage.py compilemessages`)")
            continue
        if _messages(po) != _messages(polib.mofile(str(mo_path))):
            problems.append(f"{mo_path}: stale (run `manage.py compilemessages` and commit it)")
    return problems


def _messages(catalogue: polib._BaseFile) -> dict[tuple[str, str], object]:
    return {
        (entry.msgctxt or "", entry.msgid): entry.msgstr_plural or entry.msgstr
        for entry in catalogue
        if entry.msgid and not entry.obsolete and "fuzzy" not in entry.flags
    }
