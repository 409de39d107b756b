"""What a note says: its cloze numbers, and its Markdown rendered to safe HTML.

The note keeps the Markdown source the person wrote; HTML is made only on output, by
`markdown-it-py` in its CommonMark preset with raw HTML switched off (so `<script>` is shown as
text) and its link validation on (`javascript:`, `vbscript:`, `file:` and non-image `data:`
URLs are refused). Tables and strikethrough are on; nothing else is added.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# {{c1::answer}} or {{c1::answer::hint}}; the answer may not contain "}}".
CLOZE = re.compile(r"\{\{c(\d{1,3})::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
MAX_CLOZE = 500


def cloze_numbers(text: str) -> list[int]:
    """The distinct cloze numbers of `text`, ascending (`{{c0::…}}` is not a cloze)."""
    return sorted(
        {int(m.group(1)) for m in CLOZE.finditer(text) if 0 < int(m.group(1)) <= MAX_CLOZE}
    )


def cloze_side(text: str, *, number: int, answer: bool) -> str:
    """`text` (Markdown) as the card for cloze `number` shows it: the cloze asked is `[...]`
    (or `[hint]`) on the question, the answer in bold on the answer side; others show their
    answer."""

    def replace(match: re.Match[str]) -> str:
        if int(match.group(1)) != number:
            return match.group(2)
        if answer:
            return f"**{match.group(2)}**"
        hint = match.group(3)
        return f"[{hint}]" if hint else "[...]"

    return CLOZE.sub(replace, text)


@lru_cache(maxsize=1)
def _renderer() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


# Rendering is most of the CPU of showing a card, and the same cards are shown again and again
# (the queue is read after every answer): short sources keep their HTML, at most
# RENDERED_KEPT of them per process (a few MB at most).
RENDERED_KEPT = 4096
KEPT_UP_TO = 500  # characters


def render(source: str) -> str:
    """Safe HTML for Markdown `source` (raw HTML escaped, unsafe links dropped)."""
    if not source:
        return ""
    if len(source) <= KEPT_UP_TO:
        return _render_kept(source)
    return str(_renderer().render(source))


@lru_cache(maxsize=RENDERED_KEPT)
def _render_kept(source: str) -> str:
    return str(_renderer().render(source))


def sides(
    *, kind: str, ordinal: int, front: str, back: str, text: str, extra: str
) -> tuple[str, str]:
    """The (question, answer) Markdown of card `ordinal` of a note."""
    if kind == "cloze":
        question = cloze_side(text, number=ordinal, answer=False)
        answer = cloze_side(text, number=ordinal, answer=True)
    elif ordinal == 2:
        question, answer = back, front
    else:
        question, answer = front, back
    if extra:
        answer = f"{answer}\n\n{extra}"
    return question, answer
