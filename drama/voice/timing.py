"""Line timing: how long a shot lasts once its line is spoken (the audio plus a pause the punctuation
and parenthetical ask for; the longer of two lines spoken at once), and word timings estimated from the text
when a backend gives none."""

from __future__ import annotations

import re

from drama.storyboard.model import Shot, Storyboard
from drama.voice.model import VoiceLine, WordTiming, dual_id

BASE_PAUSE = 0.3  # seconds after a line that just ends
END_PAUSES = {"…": 0.8, "—": 0.8, "～": 0.6, "~": 0.6, "？": 0.5, "?": 0.5, "！": 0.5, "!": 0.5, "。": 0.4, ".": 0.4}
BEAT = 0.8  # added for a parenthetical that asks for one: （停顿） (beat)
BEAT_WORDS = ("停顿", "沉默", "良久", "片刻", "顿了顿", "pause", "beat", "silence")
CLOSERS = " \t\"'”’」』)）】]"

# A subtitle/timing unit: a Latin word (with apostrophes/hyphens) or one other character; punctuation
# and spaces that follow stick to it.
_UNIT = re.compile(r"(?:[A-Za-z0-9\u00C0-\u024F]+(?:['’\-][A-Za-z0-9\u00C0-\u024F]+)*|\S)[\s\W_]*?(?=[A-Za-z0-9\u00C0-\u024F]|[^\s\W_]|$)",
                   re.UNICODE)


def pause_after(shot: Shot) -> float:
    """The silence after a shot's line: longer after … or ？, longer still for （停顿）."""
    return _pause(shot.text or "", shot.parenthetical)


def _pause(text: str, parenthetical: str | None) -> float:
    directions = " ".join([parenthetical or "", *re.findall(r"[（(]([^）)]*)[）)]", text)]).casefold()
    text = re.sub(r"(?:\s*[（(【\[][^）)】\]]*[）)】\]])+\s*$", "", text)  # a trailing direction is not the end
    text = text.rstrip(CLOSERS)
    pause = END_PAUSES.get(text[-1:], BASE_PAUSE) if text else BASE_PAUSE
    if any(word in directions for word in BEAT_WORDS):
        pause += BEAT
    return pause


def apply_timing(storyboard: Storyboard, lines: list[VoiceLine]) -> Storyboard:
    """A copy where every shot with a spoken line lasts line + pause, the longer of the two when dual dialogue
    speaks a second line over it (each line followed by its own pause); shots without one keep their duration."""
    by_id = {line.shot_id: line for line in lines}
    shots = []
    for shot in storyboard.shots:
        spoken = [by_id[shot.id].duration + pause_after(shot)] if shot.id in by_id else []
        if shot.dual is not None and dual_id(shot.id) in by_id:
            spoken.append(by_id[dual_id(shot.id)].duration + _pause(shot.dual.text, shot.dual.parenthetical))
        shots.append(shot.model_copy(update={"duration": round(max(spoken), 3)}) if spoken else shot)
    return storyboard.model_copy(update={"shots": shots})


def units(text: str) -> list[str]:
    """Split text into timing units: Latin words whole, other characters one by one; trailing
    punctuation and spaces stay with the unit before them, so ''.join(units(t)) == t minus leading space."""
    return _UNIT.findall(text.lstrip())


def estimate_words(text: str, duration: float) -> list[WordTiming]:
    """Word timings spread over the line by speakable length (a CJK character or a Latin letter
    weighs one; punctuation nothing), for backends that report none."""
    parts = units(text)
    weights = [max(1, len(re.sub(r"[\s\W_]", "", part))) for part in parts]
    total, start, words = sum(weights), 0.0, []
    for part, weight in zip(parts, weights, strict=False):
        end = start + duration * weight / total
        words.append(WordTiming(text=part.strip(), start=round(start, 4), end=round(end, 4)))
        start = end
    return words
