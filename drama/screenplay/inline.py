"""Inline markup inside an element: [[notes]] and Fountain emphasis.

Notes are the writer's asides (or camera hints) and must never be spoken or shown, so they are cut
out of the text and kept beside it. Emphasis is kept as spans over plain text, so voice and subtitles
read clean text while a renderer can still show *italic*, **bold** and _underline_.
"""

from __future__ import annotations

import re

from drama.screenplay.model import Span, Style

_NOTE = re.compile(r"(?P<lead>[ ]*)\[\[(?P<note>.*?)\]\](?P<trail>[ ]*)", re.S)
_CLOSES_WORD = re.compile(r"[\n.,!?;:)\]'\"…。，！？；：）」』”]")
_ESCAPED = {"\\*": "\ue000", "\\_": "\ue001"}
_ESCAPE = re.compile(r"\\[*_]")
_RESTORE = str.maketrans({"\ue000": "*", "\ue001": "_"})
# Runs stop at the next marker of their kind, so an unmatched marker costs a scan to the next one, not to
# the end of the line (keeps long lines linear).
_EMPHASIS = re.compile(
    r"\*\*\*(?=\S)(?P<bold_italic>[^*\n]+?)(?<=\S)\*\*\*"
    r"|\*\*(?=\S)(?P<bold>(?:[^*\n]|\*(?!\*))+?)(?<=\S)\*\*"
    r"|\*(?=\S)(?P<italic>[^*\n]+?)(?<=\S)\*"
    r"|(?<!\w)_(?=\S)(?P<underline>[^_\n]+?)(?<=\S)_(?!\w)"
)
_GROUP_STYLES: dict[str, tuple[Style, ...]] = {
    "bold_italic": ("bold", "italic"),
    "bold": ("bold",),
    "italic": ("italic",),
    "underline": ("underline",),
}


def extract_notes(text: str) -> tuple[str, list[str]]:
    """Text with every [[note]] removed (with the space before it, but not a line's indentation), and the notes."""
    if "[[" not in text:
        return text, []
    notes: list[str] = []

    def cut(match: re.Match[str]) -> str:
        notes.append(" ".join(match["note"].split()))
        if match.start() == 0 or text[match.start() - 1] == "\n":
            return match["lead"]  # keep an action line's indentation
        after = text[match.end():match.end() + 1]
        gap = (match["lead"] or match["trail"]) and after and not _CLOSES_WORD.match(after)
        return " " if gap else ""

    return _NOTE.sub(cut, text), notes


def emphasis(text: str) -> tuple[str, list[Span]]:
    """Plain text and its spans; spans are empty when nothing is emphasised (the common case)."""
    if not any(mark in text for mark in "*_\\"):
        return text, []
    spans: list[Span] = []
    _collect(_ESCAPE.sub(lambda m: _ESCAPED[m.group()], text), (), spans)
    plain = "".join(span.text for span in spans)
    return plain, spans if any(span.styles for span in spans) else []


def _collect(text: str, styles: tuple[Style, ...], out: list[Span]) -> None:
    pos = 0
    for match in _EMPHASIS.finditer(text):
        if match.start() > pos:
            out.append(Span(text=text[pos:match.start()].translate(_RESTORE), styles=styles))
        group = match.lastgroup or "italic"
        inner = tuple(dict.fromkeys(styles + _GROUP_STYLES[group]))
        _collect(match[group], inner, out)
        pos = match.end()
    if pos < len(text) or not out:
        out.append(Span(text=text[pos:].translate(_RESTORE), styles=styles))
