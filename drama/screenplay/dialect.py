"""Telling Fountain from the Chinese short-drama format by what the lines look like.

The file suffix says little (creators save Chinese scripts as .fountain or .txt), so each line
votes for the dialect only it would write; a tie goes by how much of the text is Chinese.
"""

from __future__ import annotations

import re
from typing import Literal

from drama.screenplay import chinese, fountain
from drama.screenplay.lines import Line

Dialect = Literal["fountain", "zh"]
DIALECTS: tuple[Dialect, ...] = ("fountain", "zh")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SAMPLE = 400  # marked lines are frequent; a few hundred settle it and keep detection cheap


def detect(lines: list[Line]) -> Dialect:
    zh = fountain_votes = 0
    sample = [line.text for line in lines if line.text.strip()][:_SAMPLE]
    for text in sample:
        if fountain.looks_like(text):
            fountain_votes += 1
        elif chinese.looks_like(text):
            zh += 1
    if zh != fountain_votes:
        return "zh" if zh > fountain_votes else "fountain"
    joined = "".join(sample)
    return "zh" if joined and len(_CJK.findall(joined)) / len(joined) > 0.2 else "fountain"
