"""Logical source lines: boneyard removed and multi-line [[notes]] joined, each with its real line number.

Both dialects run on these, so `/* … */` and `[[ … ]]` work the same everywhere and every element
can still point at the line a writer sees in the editor.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from drama.errors import ScreenplayError

MAX_CHARACTERS = 2000  # a line of dialogue this long would be spoken for minutes: longer than any shot


class Line(NamedTuple):
    number: int  # 1-based line in the file
    text: str  # may contain '\n' when a [[note]] spans lines


def is_blank(text: str) -> bool:
    """Blank separates paragraphs; a line of exactly two spaces is the Fountain way to keep one together."""
    return not text.strip() and text != "  "


def logical_lines(raw: list[str], source: Path | None = None) -> list[Line]:
    lines = strip_boneyard(raw, source)
    for line in lines:
        check_length(line.text, "line", line.number, source)
    return join_notes(lines, source)


def check_length(text: str, what: str, line: int, source: Path | None) -> None:
    """A ScreenplayError at `line` when `text` (a source line, or an element the parser joined from several) is longer
    than any shot could hold."""
    if len(text) > MAX_CHARACTERS:
        raise ScreenplayError(f"this {what} is {len(text):,} characters long, more than any shot can hold "
                              f"(at most {MAX_CHARACTERS:,})", path=source, line=line,
                              hint="split it (each line of dialogue and each paragraph of action becomes a shot "
                                   "of its own), or cut what is not meant to be spoken or shown")


def strip_boneyard(raw: list[str], source: Path | None = None) -> list[Line]:
    """Drop `/* … */` (possibly across lines). Lines left empty by a removal disappear instead of
    becoming blank, so a boneyard inside a dialogue block does not split it."""
    out: list[Line] = []
    open_at: int | None = None
    for number, text in enumerate(raw, start=1):
        if open_at is None and "/*" not in text:
            out.append(Line(number, text))
            continue
        kept: list[str] = []
        pos = 0
        while True:
            if open_at is None:
                start = text.find("/*", pos)
                if start < 0:
                    kept.append(text[pos:])
                    break
                kept.append(text[pos:start])
                open_at, pos = number, start + 2
            else:
                end = text.find("*/", pos)
                if end < 0:
                    break
                open_at, pos = None, end + 2
        rest = "".join(kept)
        if rest.strip():
            out.append(Line(number, rest.rstrip()))
    if open_at is not None:
        raise ScreenplayError("unclosed boneyard: this '/*' has no matching '*/'", path=source, line=open_at,
                              hint="add */ where the cut-out text ends, or delete the /*")
    return out


def join_notes(lines: list[Line], source: Path | None = None) -> list[Line]:
    """Join a `[[` note that continues on the next lines into one logical line. A note may not run
    across a blank line (the Fountain rule), which also catches a forgotten `]]` close to where it is."""
    out: list[Line] = []
    pending: list[Line] = []  # the lines of a note still open, joined once it closes (linear in its length)
    for line in lines:
        if pending and is_blank(line.text):
            raise _unclosed(pending[0], source, blank=line.number)
        # A line continuing a note leaves it open unless it holds a ']]' (which closes the open '[[') and opens
        # no new one; so only the new line is searched, never the text joined so far.
        if _has_open_note(line.text) or (pending and "]]" not in line.text):
            pending.append(line)
            continue
        if pending:
            line = Line(pending[0].number, "\n".join(part.text for part in (*pending, line)))
            pending = []
        out.append(line)
    if pending:
        raise _unclosed(pending[0], source, blank=None)
    return out


def _has_open_note(text: str) -> bool:
    start = text.rfind("[[")
    return start >= 0 and text.find("]]", start + 2) < 0


def _unclosed(note: Line, source: Path | None, blank: int | None) -> ScreenplayError:
    where = f"before the blank line {blank}" if blank is not None else "before the end of the file"
    return ScreenplayError(f"unclosed note: this '[[' has no ']]' {where}", path=source, line=note.number,
                           hint="close the note with ]] (a note may span lines but not a blank line; "
                                "put two spaces on a line to keep it inside the note)")
