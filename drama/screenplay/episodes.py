"""Episode markers (`第一集：标题`, `第12集`, `第十二集`, `EP3`, `Episode 3: Title`) and Chinese numerals.

Short dramas are written many episodes to a file; both dialects split on the same markers.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL = r"[0-9０-９零〇一二两三四五六七八九十百千]+"

_MARKER = re.compile(
    rf"^\s*[【\[]?\s*(?:第\s*(?P<zh>{NUMERAL})\s*[集话話]|(?:EPISODE|EP)\s*\.?\s*(?P<en>[0-9]+)(?![0-9A-Za-z]))"
    r"\s*[】\]]?\s*[:：\-—–.、．]?\s*(?P<title>.*?)\s*$",
    re.I,
)


class EpisodeMarker(NamedTuple):
    number: int
    title: str | None


def parse_numeral(text: str) -> int:
    """'12', '１２', '十二', '一百零五', '二〇二三' → int."""
    if text.isdecimal():
        return int(text)
    if not any(unit in text for unit in _ZH_UNITS):
        return int("".join(str(_ZH_DIGITS.get(char, char)) for char in text))
    total = current = 0
    for char in text:
        if char in _ZH_UNITS:
            total += (current or 1) * _ZH_UNITS[char]
            current = 0
        else:
            current = _ZH_DIGITS.get(char, int(char) if char.isdecimal() else 0)
    return total + current


def episode_marker(text: str) -> EpisodeMarker | None:
    match = _MARKER.match(text)
    if not match:
        return None
    number = parse_numeral(match["zh"] or match["en"])
    return EpisodeMarker(number, match["title"] or None)
