"""Shot durations from reading speed: a stand-in until the voices exist and their real lengths take over.

Rates are what subtitle practice assumes for a comfortable read-aloud pace.
"""

from __future__ import annotations

import re

CJK_CHARS_PER_SECOND = 4.5
WORDS_PER_SECOND = 2.7
LINE_PAUSE = 0.4  # breath after a line
HESITATION_PAUSE = 0.3  # each …… / ... / —— inside a line
SLOW_DELIVERY = 1.15  # crying, trembling, whispering lines are spoken slower

ESTABLISHING = (2.0, 3.0)  # interior, exterior
TITLE_CARD_MIN, TITLE_CARD_MAX = 2.0, 5.0
ACTION_MIN, ACTION_MAX = 2.0, 5.0
LINE_MIN, LINE_MAX = 1.2, 12.0

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_HESITATION = re.compile(r"……|…|\.\.\.|——|--")


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def reading_seconds(text: str) -> float:
    """Seconds to say `text` aloud: CJK characters and Latin words at their own rates."""
    return len(_CJK.findall(text)) / CJK_CHARS_PER_SECOND + len(_WORD.findall(text)) / WORDS_PER_SECOND


def line_duration(text: str, *, slow: bool = False) -> float:
    """A spoken line: reading time (slower for strong emotion), hesitations, and a breath after it."""
    seconds = reading_seconds(text) * (SLOW_DELIVERY if slow else 1.0)
    seconds += HESITATION_PAUSE * len(_HESITATION.findall(text)) + LINE_PAUSE
    return round(_clamp(seconds, LINE_MIN, LINE_MAX), 2)


def action_duration(text: str) -> float:
    """An action beat: long enough to see it happen; descriptions are watched, not read aloud, so faster."""
    return round(_clamp(1.5 + reading_seconds(text) / 3.0, ACTION_MIN, ACTION_MAX), 2)


def establishing_duration(interior: bool) -> float:
    return ESTABLISHING[0] if interior else ESTABLISHING[1]


def title_card_duration(text: str) -> float:
    return round(_clamp(1.0 + reading_seconds(text), TITLE_CARD_MIN, TITLE_CARD_MAX), 2)


MAX_SPEECH = 8.0  # seconds of one line a single shot holds; a longer line is covered by several shots
# each piece keeps its trailing space, so the pieces of a text concatenate back to it
_SENTENCES = re.compile(r"[^。！？!?….]*(?:[。！？!?….]+[\"'”’」』)]*\s*|$)")
_CLAUSES = re.compile(r"[^，,；;：:—]*(?:[，,；;：:—]+\s*|$)")
_UNITS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]\s*|[^\s\u3400-\u9fff\uf900-\ufaff]+\s*|\s+")


def split_speech(text: str, *, slow: bool = False, limit: float = MAX_SPEECH) -> list[str]:
    """`text` in consecutive pieces each spoken within `limit` seconds (line_duration): whole sentences packed
    greedily, a sentence too long for one piece cut at its clause marks, a clause too long cut between words
    (Latin) or characters (CJK). One piece when the line already fits."""
    if line_duration(text, slow=slow) <= limit:
        return [text]
    units: list[str] = []
    for sentence in _parts(text, _SENTENCES):
        if line_duration(sentence, slow=slow) <= limit:
            units.append(sentence)
            continue
        for clause in _parts(sentence, _CLAUSES):
            units += [clause] if line_duration(clause, slow=slow) <= limit else _parts(clause, _UNITS)
    pieces: list[str] = []
    for unit in units:
        if pieces and line_duration(pieces[-1] + unit, slow=slow) <= limit:
            pieces[-1] += unit
        else:
            pieces.append(unit)
    return [piece.strip() for piece in pieces if piece.strip()]


def _parts(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [match.group(0) for match in pattern.finditer(text) if match.group(0)]
