"""Measuring and breaking lines of the CJK font: widths from its metrics, breaks anywhere between CJK characters
and between Latin words, never before closing punctuation nor after an opening one."""

from __future__ import annotations

import functools
import re

from drama.printing.fonts import source_font

NO_START = set("，。、；：！？）」』”’》〉】…—,.;:!?)]%")  # closing punctuation stays at the end of the line before
NO_END = set("（「『“‘《〈【([")
_UNIT = re.compile(r"[A-Za-z0-9'’\-]+|.", re.S)  # Latin words are not broken; everything else breaks anywhere


@functools.lru_cache(maxsize=4096)
def _advance(char: str) -> float:
    """The width of a character in ems, from the CJK font's metrics."""
    font = source_font()
    glyph = font.getBestCmap().get(ord(char))
    return font["hmtx"][glyph][0] / font["head"].unitsPerEm if glyph else 1.0


def measure(text: str, size: float) -> float:
    return sum(_advance(char) for char in text) * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """`text` in lines no wider than `width` points, with the punctuation rules above (a closing mark may hang
    past the margin rather than start a line)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for unit in _UNIT.findall(paragraph):
            if measure(line + unit, size) <= width or not line or unit[0] in NO_START:
                line += unit
                continue
            carried = ""
            while line and line[-1] in NO_END:  # an opening mark goes down with the word it opens
                carried, line = line[-1] + carried, line[:-1]
            lines.append(line)
            line = carried + unit.lstrip()
        lines.append(line)
    return lines
