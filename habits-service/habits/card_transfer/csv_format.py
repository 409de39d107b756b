"""Cards as CSV: one note a line, `front, back, tags` (tags separated by spaces, as Anki writes
them). Reading tolerates what spreadsheets produce: a UTF-8 byte-order mark, a header line
(`front,back[,tags]`, any case), `;`, tab or `|` instead of commas (sniffed from the start of the
file), CRLF line ends and quoted fields with line breaks. Anything else wrong stops the whole
file with the line and the problem: an import is all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from habits.card_transfer.problems import ImportProblem

DELIMITERS = ",;\t|"
HEADER = ("front", "back", "tags")
# A field of a card is at most this long (Anki's own fields are unbounded; ours are text).
FIELD_MAX_LENGTH = 20_000


@dataclass(frozen=True)
class CsvNote:
    line: int
    front: str
    back: str
    tags: list[str] = field(default_factory=list)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem("not_utf8", line=data.count(b"\n", 0, exc.start) + 1) from None


def _delimiter(text: str) -> str:
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # One column-less line, or nothing to tell by: a comma unless a line shows another.
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_csv(data: bytes, *, max_notes: int) -> list[CsvNote]:
    """The notes of a CSV file, or ImportProblem naming the first bad line."""
    if not data.strip():
        raise ImportProblem("empty_file")
    text = _text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    notes: list[CsvNote] = []
    first = True
    try:
        for row in reader:
            line = reader.line_num  # the line the row ends on (a quoted break spans lines)
            if not row or all(not cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row]
            if first:
                first = False
                if tuple(c.lower() for c in cells[:3]) in (HEADER, HEADER[:2]):
                    continue
            if len(cells) not in (2, 3):
                raise ImportProblem("column_count", line=line, found=len(cells))
            if not cells[0]:
                raise ImportProblem("empty_front", line=line)
            if any(len(cell) > FIELD_MAX_LENGTH for cell in cells):
                raise ImportProblem("field_too_long", line=line, limit=FIELD_MAX_LENGTH)
            if len(notes) >= max_notes:
                raise ImportProblem("too_many_cards", limit=max_notes)
            tags = cells[2].split() if len(cells) == 3 else []
            notes.append(CsvNote(line=line, front=cells[0], back=cells[1], tags=tags))
    except csv.Error as exc:
        raise ImportProblem("bad_csv", line=reader.line_num, detail=str(exc)) from None
    if not notes:
        raise ImportProblem("empty_file")
    return notes


def write_csv(rows: Iterable[tuple[str, str, list[str]]]) -> bytes:
    """`front, back, tags` with a header line, comma-separated, every field quoted as needed;
    UTF-8 without a byte-order mark (spreadsheets that need one read it through their import)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for front, back, tags in rows:
        writer.writerow((front, back, " ".join(tags)))
    return out.getvalue().encode("utf-8")
