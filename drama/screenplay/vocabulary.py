"""Screenplay words in English and Chinese: times of day, transitions, voice-over marks.

Shared by both dialects, because real scripts mix them (`INT. 客厅 - 夜`, `林晚（V.O.）：`).
"""

from __future__ import annotations

import re

from drama.screenplay.model import TimeOfDay, TransitionKind

# Checked in order: the first table whose pattern occurs wins, so "DAYBREAK" is dawn, not day,
# and "傍晚" is dusk, not evening.
_TIMES: tuple[tuple[re.Pattern[str], TimeOfDay], ...] = tuple((re.compile(pattern, re.I), time) for pattern, time in (
    (r"\b(?:CONTINUOUS|SAME(?: TIME)?)\b|连续|同时|接上", "continuous"),
    (r"\b(?:DAWN|SUNRISE|DAYBREAK|FIRST LIGHT)\b|黎明|拂晓|破晓|凌晨|日出", "dawn"),
    (r"\b(?:DUSK|SUNSET|TWILIGHT|MAGIC HOUR)\b|黄昏|傍晚|日落|薄暮|昏", "dusk"),
    (r"\b(?:MORNING)\b|清晨|早晨|早上|上午|晨|早", "morning"),
    (r"\b(?:NIGHT|MIDNIGHT|LATE NIGHT)\b|晚上|夜晚|深夜|午夜|半夜|夜", "night"),
    (r"\b(?:EVENING)\b|晚", "evening"),
    (r"\b(?:DAY|NOON|AFTERNOON|DAYTIME)\b|白天|白日|中午|下午|午后|正午|日|午|昼", "day"),
))

_TRANSITIONS: tuple[tuple[re.Pattern[str], TransitionKind], ...] = tuple((re.compile(pattern, re.I), kind) for pattern, kind in (
    (r"SMASH|硬切|急切|闪切", "smash_cut"),
    (r"MATCH|匹配|相似", "match_cut"),
    (r"DISSOLVE|叠化|溶|化入|化出", "dissolve"),
    (r"(?:FADE|CUT)\s+TO\s+BLACK|黑屏|渐黑|收黑|完[）)]?$|剧终|待续", "fade_to_black"),
    (r"FADE\s+IN|淡入|渐显|渐亮", "fade_in"),
    (r"FADE\s+OUT|FADE\b|淡出|渐隐", "fade_out"),
    (r"CUT|切", "cut"),
))

# Cue extensions (and Chinese speakers) that mean the voice is heard without the speaker seen talking.
_VOICEOVER = re.compile(r"^(?:V\.?\s*O\.?|O\.?\s*S\.?|O\.?\s*C\.?|VOICE[- ]?OVER|OFF|画外音?|旁白|内心(?:OS|独白)?|心声|独白|心理)$", re.I)


def time_of_day(text: str) -> TimeOfDay:
    """The time of day a heading's time words mean ("NIGHT", "黄昏", "LATER" → unknown)."""
    for pattern, time in _TIMES:
        if pattern.search(text):
            return time
    return "unknown"


def transition_kind(text: str) -> TransitionKind:
    for pattern, kind in _TRANSITIONS:
        if pattern.search(text):
            return kind
    return "other"


def is_voiceover(mark: str) -> bool:
    """True for V.O., O.S., OS, 画外音, 旁白, 内心, 心声 … (the speaker is heard, not seen speaking)."""
    return bool(_VOICEOVER.match(mark.strip()))


_CAMERA = re.compile(
    r"^(?:CAMERA|SHOT|ANGLE|POV|CLOSE[- ]?UP|CU\b|ECU\b|WIDE|MEDIUM|PAN|TILT|DOLLY|PUSH IN|PULL BACK|TRACKING|CRANE|ZOOM|"
    r"镜头|运镜|机位|特写|大特写|近景|中景|中近景|远景|全景|大全景|空镜|航拍|俯拍|仰拍|推|拉|摇|移|跟|升|降)",
    re.I,
)


def is_camera_direction(text: str) -> bool:
    """A note that reads as a shot direction ("镜头：推近", "CLOSE UP on the ring") rather than an aside."""
    return bool(_CAMERA.match(text.strip()))
