"""What can be wrong with a file to import, as a stable code plus parameters.

A failed import job stores the code, the line (CSV) and the parameters, never a rendered
sentence: the job is read later, maybe in another language, so the message is rendered when it
is read (`message_for`), in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

MESSAGES: dict[str, Any] = {
    "too_big": _("The file is %(size)s bytes; at most %(limit)s bytes may be imported."),
    "empty_file": _("The file is empty."),
    "not_utf8": _("Line %(line)s is not UTF-8 text; save the file as UTF-8 and try again."),
    "column_count": _("Line %(line)s has %(found)s columns; expected 2 or 3 (front, back, tags)."),
    "empty_front": _("Line %(line)s has an empty front."),
    "field_too_long": _("Line %(line)s: a field is longer than %(limit)s characters."),
    "too_many_cards": _("The file holds more than %(limit)s notes; split it into smaller files."),
    "bad_csv": _("Line %(line)s is not valid CSV: %(detail)s."),
    "not_zip": _("The file is not a .apkg archive (not a zip file, or a damaged one)."),
    "no_collection": _(
        "The archive holds no Anki collection (collection.anki21b, .anki21 or .anki2)."
    ),
    "collection_too_big": _("The unpacked collection is larger than %(limit)s bytes."),
    "not_a_collection": _("The archive's collection is not an Anki database: %(detail)s."),
    "missing_table": _("The Anki collection lacks its %(table)s table."),
    "bad_collection": _("The Anki collection is damaged: %(detail)s."),
    "target_deck_gone": _("The deck the cards were to go into was deleted meanwhile."),
    "internal": _("The import stopped on an unexpected error; nothing was imported."),
}


class ImportProblem(Exception):
    """The file cannot be imported; nothing of it is kept."""

    def __init__(self, code: str, *, line: int | None = None, **params: Any) -> None:
        assert code in MESSAGES, code
        self.code = code
        self.line = line
        self.params = {k: v for k, v in params.items()}
        if line is not None:
            self.params["line"] = line
        super().__init__(f"{code}: {self.params}")

    def message(self) -> str:
        return message_for(self.code, self.params)


def message_for(code: str, params: dict[str, Any] | None) -> str:
    """The problem in the active language (an unknown code reads as the internal one)."""
    template = MESSAGES.get(code, MESSAGES["internal"])
    try:
        return str(template) % (params or {})
    except (KeyError, TypeError, ValueError):
        return str(template)
