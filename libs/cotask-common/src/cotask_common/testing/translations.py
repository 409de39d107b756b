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


# --- Texts for people written as plain strings --------------------------------------------------
#
# A message a person reads must go through gettext, or it stays English whatever the request's
# language. `unmarked_messages` reads a service's code (not its tests, migrations, admin or
# management commands: staff and operators read English) and names each string literal (an
# f-string too) in a place a person reads: the message of an error the API answers with, a
# serializer's or model field's `error_messages`, a `default_detail`, a validator's `message`, a
# `{"detail": ...}`/`{"message": ...}` body, and the message argument of the service's own
# helpers that take one. Strings without letters (`": "`, `""`) and codes in `code=` are not
# messages. A line that must stay as it is says why in a `# i18n-ok: <why>` comment.

# Exception classes whose text reaches people, and where their message is: a positional index
# and the keyword names. DRF's `detail`, Django's and the kit's `message`.
_ERROR_MESSAGE_AT: dict[str, tuple[int, tuple[str, ...]]] = {
    # cotask_common.errors
    "ServiceError": (0, ("message",)),
    "Forbidden": (0, ("message", "detail")),
    "Conflict": (0, ("message",)),
    "NotFound": (0, ("message", "detail")),  # the kit's and DRF's: both first
    # cotask_common.security.tokens: TokenError(code, message) becomes a 401's message
    "TokenError": (1, ("message",)),
    # rest_framework.exceptions (and `serializers.ValidationError`, the same class)
    "APIException": (0, ("detail",)),
    "ValidationError": (0, ("detail", "message")),  # DRF's and Django's
    "ParseError": (0, ("detail",)),
    "AuthenticationFailed": (0, ("detail",)),
    "NotAuthenticated": (0, ("detail",)),
    "PermissionDenied": (0, ("detail",)),
    "NotAcceptable": (0, ("detail",)),
    "MethodNotAllowed": (1, ("detail",)),
    "UnsupportedMediaType": (1, ("detail",)),
    "Throttled": (1, ("detail",)),
    "ErrorDetail": (0, ("string",)),  # serializers.ErrorDetail("…", code=…)
}
# The parameter that carries a text for people in a function of the service's own (`detail`
# there is mostly a technical addition, like a decoder's complaint).
_MESSAGE_PARAMETERS = ("message",)
# Class attributes that are texts for people (DRF exceptions and permissions, Django
# validators, the kit's throttles).
_MESSAGE_ATTRIBUTES = {"default_detail", "message", "message_template"}  # the kit's throttles
_MESSAGE_KEYS = {"detail", "message"}
_SKIPPED_PARTS = {"tests", "testing", "migrations", "admin", "management"}
_SKIPPED_FILES = {"admin.py", "conftest.py"}
_OK_COMMENT = "# i18n-ok:"


def _name_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _has_letters(text: str) -> bool:
    return any(character.isalpha() for character in text)


def _unmarked_literals(node: ast.AST | None) -> list[ast.expr]:
    """The literal texts in an expression that reach a person untranslated. A gettext call
    (also `_("…") % {…}`) is marked; a call of anything else is not looked into."""
    if node is None:
        return []
    if isinstance(node, ast.Constant):
        return [node] if isinstance(node.value, str) and _has_letters(node.value) else []
    if isinstance(node, ast.JoinedStr):
        # f"{field}: {message}" only joins other texts; f"No task {id}." is English.
        texts = [v.value for v in node.values if isinstance(v, ast.Constant)]
        return [node] if any(_has_letters(str(t)) for t in texts) else []
    if isinstance(node, ast.BinOp):  # "…" % x, "…" + x
        if isinstance(node.op, ast.Mod):  # what fills a text's placeholders is data
            return _unmarked_literals(node.left)
        return _unmarked_literals(node.left) + _unmarked_literals(node.right)
    if isinstance(node, ast.IfExp):
        return _unmarked_literals(node.body) + _unmarked_literals(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [found for value in node.values for found in _unmarked_literals(value)]
    if isinstance(node, ast.Dict):  # ValidationError({"field": "…"})
        return [found for value in node.values for found in _unmarked_literals(value)]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [found for element in node.elts for found in _unmarked_literals(element)]
    if isinstance(node, ast.Call):
        name = _name_of(node.func)
        if name in GETTEXT_CALLS:
            return []
        if name == "format" and isinstance(node.func, ast.Attribute):  # "…".format(x)
            return _unmarked_literals(node.func.value)
        if name == "str" and node.args:
            return _unmarked_literals(node.args[0])
    return []


def _argument(call: ast.Call, position: int, keywords: tuple[str, ...]) -> ast.AST | None:
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if len(call.args) > position and not any(
        isinstance(argument, ast.Starred) for argument in call.args[: position + 1]
    ):
        return call.args[position]
    return None


def _message_parameter(
    function: ast.FunctionDef | ast.AsyncFunctionDef, *, detail: tuple[str, ...] = ()
) -> tuple[int, str] | None:
    """Where a function takes a message: its position (without `self`/`cls`) and name;
    `detail=("detail",)` for an exception's `__init__` (DRF's name for it)."""
    positional = [*function.args.posonlyargs, *function.args.args]
    if positional and positional[0].arg in {"self", "cls"}:
        positional = positional[1:]
    for index, argument in enumerate(positional):
        if argument.arg in (*_MESSAGE_PARAMETERS, *detail):
            return index, argument.arg
    for argument in function.args.kwonlyargs:
        if argument.arg in (*_MESSAGE_PARAMETERS, *detail):
            return 10_000, argument.arg  # keyword only
    return None


def _python_files(sources: Iterable[Path]) -> list[tuple[Path, Path]]:
    files = []
    for root in sources:
        for path in sorted(root.rglob("*.py")):
            relative = path.relative_to(root)
            if _SKIPPED_PARTS & set(relative.parts[:-1]) or relative.name in _SKIPPED_FILES:
                continue
            files.append((root, path))
    return files


def _learn_message_takers(
    trees: list[ast.Module],
) -> tuple[dict[str, tuple[int, tuple[str, ...]]], dict[str, tuple[int, tuple[str, ...]]]]:
    """The service's own error classes (subclasses of the known ones, their message where
    their `__init__` takes it) and its functions with a `message`/`detail` parameter."""
    classes = dict(_ERROR_MESSAGE_AT)
    functions: dict[str, tuple[int, tuple[str, ...]]] = {}
    definitions = [
        node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
    ]
    changed = True
    while changed:  # subclasses of subclasses, in any order
        changed = False
        for definition in definitions:
            if definition.name in classes:
                continue
            bases = [classes[name] for b in definition.bases if (name := _name_of(b)) in classes]
            if not bases:
                continue
            where = bases[0]
            for item in definition.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    taken = _message_parameter(item, detail=("detail",))
                    where = (taken[0], (taken[1],)) if taken else (10_000, ())
            classes[definition.name] = where
            changed = True
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in {
                "__init__",
                "for_field",
            }:
                taken = _message_parameter(node)
                if taken:
                    functions[node.name] = (taken[0], (taken[1],))
    return classes, functions


def unmarked_messages(sources: Iterable[Path]) -> list[str]:
    """`path:line: text` for each text for people under `sources` that is not marked for
    translation (empty: all marked). See the comment above for what counts."""
    files = _python_files(sources)
    parsed = [(root, path, path.read_text(encoding="utf-8")) for root, path in files]
    trees = [ast.parse(text) for _root, _path, text in parsed]
    classes, functions = _learn_message_takers(trees)
    problems: list[str] = []
    for (root, path, text), tree in zip(parsed, trees, strict=True):
        lines = text.splitlines()
        found: list[ast.expr] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _name_of(node.func)
                receiver = (
                    _name_of(node.func.value) if isinstance(node.func, ast.Attribute) else None
                )
                if name == "for_field" and receiver in classes:
                    found += _unmarked_literals(_argument(node, 1, ("message",)))
                elif name in classes:
                    position, keywords = classes[name]
                    found += _unmarked_literals(_argument(node, position, keywords))
                elif name in functions:
                    position, keywords = functions[name]
                    found += _unmarked_literals(_argument(node, position, keywords))
                for keyword in node.keywords:
                    if keyword.arg == "error_messages":
                        found += _unmarked_literals(keyword.value)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    value: ast.expr | None
                    if isinstance(item, ast.Assign):
                        targets, value = item.targets, item.value
                    elif isinstance(item, ast.AnnAssign):
                        targets, value = [item.target], item.value
                    else:
                        continue
                    if any(_name_of(t) in _MESSAGE_ATTRIBUTES for t in targets):
                        found += _unmarked_literals(value)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in _MESSAGE_KEYS:
                        found += _unmarked_literals(value)
        seen: set[tuple[int, int]] = set()
        for literal in sorted(found, key=lambda n: (n.lineno, n.col_offset)):
            place = (literal.lineno, literal.col_offset)
            end = getattr(literal, "end_lineno", None) or literal.lineno
            if place in seen or any(
                _OK_COMMENT in line for line in lines[literal.lineno - 1 : end]
            ):
                continue
            seen.add(place)
            shown = ast.get_source_segment(text, literal) or ""
            problems.append(f"{path.relative_to(root.parent)}:{literal.lineno}: {shown}")
    return problems
