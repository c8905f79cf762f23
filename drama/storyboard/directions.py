"""Explicit camera directions written into a script — `[[CU, dolly in]]`, `【镜头：特写 推】` — parsed into shot fields.

A direction overrides the planner's rules for the next shot, so a creator always has the last word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from drama.storyboard.vocabulary import _ALIASES, Angle, Move, ShotSize, _normalise

_SIGNS = {"left": -1, "左": -1, "right": 1, "右": 1, "up": 1, "上": 1, "升": 1, "down": -1, "下": -1, "降": -1, "out": -1}
_SPEEDS = {"slow": 0.5, "slowly": 0.5, "gentle": 0.5, "缓": 0.5, "慢": 0.5, "缓缓": 0.5,
           "fast": 1.6, "quick": 1.6, "quickly": 1.6, "快": 1.6, "急": 1.6, "猛": 1.6}
_FILLER = re.compile(r"(?i)\b(?:camera|shot|to|the|on|a|and|then)\b|镜头|机位|[\s,，、;；:：/|+·.。\-—()（）\[\]【】]+")


@dataclass(frozen=True)
class Direction:
    text: str
    size: ShotSize | None = None
    angle: Angle | None = None
    move: Move | None = None
    move_direction: int | None = None
    move_strength: float | None = None


def _alias_regex(alias: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s_\-.]+", alias.strip()) if p]
    body = r"[\s_\-.]*".join(parts)
    return rf"(?<![a-z]){body}(?![a-z])" if alias.isascii() else body


@lru_cache(maxsize=1)
def _term_pattern() -> re.Pattern[str]:
    """Every vocabulary alias and modifier, longest first, so `extreme close-up` wins over `close-up`."""
    terms = {alias for enum in (ShotSize, Angle, Move) for alias in _all_aliases(enum)}
    terms |= set(_SIGNS) | set(_SPEEDS)
    ordered = sorted(terms, key=lambda t: len(_normalise(t)), reverse=True)
    return re.compile("|".join(_alias_regex(t) for t in ordered), re.IGNORECASE)


def _all_aliases(enum: type) -> list[str]:
    return [alias for member in enum for alias in (member.value, member.name, *_ALIASES.get(member.value, ()))]


def parse_direction(text: str, *, explicit: bool = False) -> Direction | None:
    """The direction in `text`, or None when it names no shot term.

    A note not marked as a camera direction (`explicit`) counts only if it is made of shot terms alone,
    so `[[CU, dolly in]]` directs the camera and `[[check the dates]]` does not.
    """
    size = angle = move = None
    sign = strength = None
    leftover = []
    position = 0
    for match in _term_pattern().finditer(text):
        leftover.append(text[position:match.start()])
        position = match.end()
        word = match.group(0)
        key = word.strip().lower()
        found_size, found_angle, found_move = ShotSize.parse(word), Angle.parse(word), Move.parse(word)
        size = size or found_size
        angle = angle or (found_angle if not found_size else None)
        move = move or (found_move if not (found_size or found_angle) else None)
        for token, value in _SIGNS.items() if not (found_size or found_angle) else ():
            if re.search(rf"(?<![a-z]){re.escape(token)}(?![a-z])", key):
                sign = value
        if key in _SPEEDS:
            strength = _SPEEDS[key]
    leftover.append(text[position:])
    if size is None and angle is None and move is None:
        return None
    if not explicit and _FILLER.sub("", "".join(leftover)):
        return None
    return Direction(text=text.strip(), size=size, angle=angle, move=move, move_direction=sign, move_strength=strength)
