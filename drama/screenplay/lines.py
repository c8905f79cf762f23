"""Logical source lines: boneyard removed and multi-line [[notes]] joined, each with its real line number.

Both dialects run on these, so `/* … */` and `[[ … ]]` work the same everywhere and every element
can still point at the line a writer sees in the editor.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from drama.errors import DramaError


class Line(NamedTuple):
    number: int  # 1-based line in the file
    text: str  # may contain '\n' when a [[note]] spans lines


def is_blank(text: str) -> bool:
    """Blank separates paragraphs; a line of exactly two spaces is the Fountain way to keep one together."""
    return not text.strip() and text != "  "


def logical_lines(raw: list[str], source: Path | None = None) -> list[Line]:
    return join_notes(strip_boneyard(raw, source), source)


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
        raise DramaError("unclosed boneyard: this '/*' has no matching '*/'", path=source, line=open_at,
                         hint="add */ where the cut-out text ends, or delete the /*")
    return out


def join_notes(lines: list[Line], source: Path | None = None) -> list[Line]:
    """Join a `[[` note that continues on the next lines into one logical line. A note may not run
    across a blank line (the Fountain rule), which also catches a forgotten `]]` close to where it is."""
    out: list[Line] = []
    pending: Line | None = None
    for line in lines:
        if pending is not None:
            if is_blank(line.text):
                raise _unclosed(pending, source, blank=line.number)
            line = Line(pending.number, f"{pending.text}\n{line.text}")
        if _has_open_note(line.text):
            pending = line
            continue
        pending = None
        out.append(line)
    if pending is not None:
        raise _unclosed(pending, source, blank=None)
    return out


def _has_open_note(text: str) -> bool:
    start = text.rfind("[[")
    return start >= 0 and text.find("]]", start + 2) < 0


def _unclosed(note: Line, source: Path | None, blank: int | None) -> DramaError:
    where = f"before the blank line {blank}" if blank is not None else "before the end of the file"
    return DramaError(f"unclosed note: this '[[' has no ']]' {where}", path=source, line=note.number,
                      hint="close the note with ]] (a note may span lines but not a blank line; "
                           "put two spaces on a line to keep it inside the note)")
