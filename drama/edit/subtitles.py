"""Subtitles for a vertical frame: cues timed to the spoken audio, lines broken for a narrow screen
(about 16 CJK characters or 32 Latin ones per line, at most 2 lines per cue, never inside a Latin word,
preferably at punctuation), written as SRT and as ASS styled for burning in with libass.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from pydantic import BaseModel, Field

from drama import atomic
from drama.fonts import CJK_FONT_FAMILY, line_height_ratio
from drama.storyboard.model import Storyboard
from drama.voice.model import VoiceLine
from drama.voice.timing import pause_after, units

MAX_UNITS = 16  # line width: a CJK character counts 1, a Latin one ½
MAX_LINES = 2
HOLD = 0.6  # seconds a cue may stay up after its line ends (if the shot lasts that long)
SENTENCE_END = set("。！？!?…;；")
CLAUSE_END = set("，、：,:—")
PUNCTUATION_BONUS = {**{c: 6.0 for c in SENTENCE_END}, **{c: 4.5 for c in CLAUSE_END}}  # in line-width units


class Cue(BaseModel):
    index: int = Field(ge=1)
    start: float = Field(ge=0)  # seconds on the episode timeline
    end: float
    lines: list[str]
    speaker: str | None = None
    shot_id: str

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text.strip())


def _best_break(parts: list[str], limit: float, balance: bool) -> int:
    """Index after which to break `parts` so the first piece fits `limit`: at punctuation if it can,
    balanced in width (for two display lines) or as full as possible (for consecutive cues)."""
    total = width("".join(parts))
    best, best_cost = 1, float("inf")
    for cut in range(1, len(parts)):
        head = width("".join(parts[:cut]))
        if head > limit and cut > 1:
            break
        tail = total - head
        overflow = max(0.0, head - limit) + (max(0.0, tail - limit) if balance else 0.0)
        cost = (abs(head - tail) if balance else limit - head) + 100 * overflow
        cost -= PUNCTUATION_BONUS.get(parts[cut - 1].strip()[-1:], 0.0) * limit / MAX_UNITS
        if cost < best_cost:
            best, best_cost = cut, cost
    return best


def break_lines(text: str, max_units: float = MAX_UNITS) -> list[str]:
    """One cue's text as display lines of at most `max_units` each (two lines at most when the cue was
    cut by `split_text`); breaks fall between Latin words, never inside one."""
    parts = units(text)
    lines: list[str] = []
    while parts and width("".join(parts)) > max_units:
        remaining = width("".join(parts))
        cut = _best_break(parts, max_units, balance=remaining <= 2 * max_units)
        lines.append("".join(parts[:cut]).strip())
        parts = parts[cut:]
    if parts:
        lines.append("".join(parts).strip())
    return lines


def split_text(text: str, max_units: float = MAX_UNITS, max_lines: int = MAX_LINES) -> list[tuple[int, int]]:
    """Character spans [start, end) of `text`, each short enough for one cue, cut at sentence or clause
    ends where possible."""
    offset = len(text) - len(text.lstrip())
    parts = units(text)
    spans = []
    while parts:
        if width("".join(parts)) <= max_units * max_lines:
            cut = len(parts)
        else:
            cut = _best_break(parts, max_units * max_lines, balance=False)
        while cut > 1 and len(break_lines("".join(parts[:cut]), max_units)) > max_lines:
            cut -= 1  # word lengths kept it from packing into max_lines lines: give the next cue a word
        length = len("".join(parts[:cut]))
        spans.append((offset, offset + length))
        offset += length
        parts = parts[cut:]
    return spans


def _time_at(line: VoiceLine, char: int) -> float:
    """When the character at `char` of line.text is spoken: inside a timed word by interpolation, in a
    gap (punctuation) at the next word's start; by character share when the words cannot be placed."""
    cursor, anchors = 0, []
    for word in line.words:
        found = line.text.find(word.text.strip(), cursor) if word.text.strip() else -1
        if found >= 0:
            end = found + len(word.text.strip())
            anchors.append((found, end, word.start, word.end))
            cursor = end
    if not anchors:
        return line.duration * char / max(1, len(line.text))
    for first, last, start, end in anchors:
        if first <= char < last:
            return start + (end - start) * (char - first) / (last - first)
        if char < first:
            return start
    return line.duration


def cues_for(storyboard: Storyboard, lines: list[VoiceLine], shot_starts: dict[str, float] | None = None) -> list[Cue]:
    """Cues for every spoken line except title cards (the edit draws those): a line starts at its shot's
    start; a long line becomes consecutive cues timed by its word timings; a cue may stay up
    briefly after the line, never past its shot or into the next cue."""
    if shot_starts is None:
        shot_starts, clock = {}, 0.0
        for shot in storyboard.shots:
            shot_starts[shot.id] = clock
            clock += shot.duration
    shots = {shot.id: shot for shot in storyboard.shots}
    cues: list[Cue] = []
    for line in sorted(lines, key=lambda item: shot_starts[item.shot_id]):
        shot = shots[line.shot_id]
        if shot.kind == "title_card":
            continue
        base = shot_starts[line.shot_id]
        spans = split_text(line.text)
        for number, (first, last) in enumerate(spans):
            start = base + (0.0 if number == 0 else _time_at(line, first))
            if number + 1 < len(spans):
                end = base + _time_at(line, spans[number + 1][0])
            else:
                end = base + line.duration + min(HOLD, max(shot.duration - line.duration, 0.0), pause_after(shot))
            if cues and cues[-1].end > start:
                cues[-1] = cues[-1].model_copy(update={"end": start})
            cues.append(Cue(index=len(cues) + 1, start=round(start, 3), end=round(max(end, start + 0.1), 3),
                            lines=break_lines(line.text[first:last]), speaker=line.speaker, shot_id=line.shot_id))
    return cues


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _ass_time(seconds: float) -> str:
    cs = round(seconds * 100)
    return f"{cs // 360_000:d}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def write_srt(cues: list[Cue], path: Path) -> None:
    blocks = [f"{n}\n{_srt_time(c.start)} --> {_srt_time(c.end)}\n{c.text}\n" for n, c in enumerate(cues, start=1)]
    atomic.write_text(path, "\n".join(blocks))


def _ass_escape(text: str) -> str:
    """ASS reads {…} as override tags and backslash sequences as commands: show their full-width forms."""
    return text.replace("\\", "＼").replace("{", "｛").replace("}", "｝")


def ass_style(width: int, height: int, font_name: str = CJK_FONT_FAMILY, max_units: float = MAX_UNITS) -> str:
    """A bottom-centred style sized so a full line (max_units CJK characters, each one em wide) fills the
    space between the side margins; bottom margin 12 % of the height, clear of the platform's caption area."""
    margin_side = round(width * 0.06)
    size = int((width - 2 * margin_side) / max_units * line_height_ratio())
    outline = max(2, round(size * 0.07))
    return (f"Style: Default,{font_name},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H96000000,-1,0,0,0,100,100,0,0,"
            f"1,{outline},{max(1, outline // 2)},2,{margin_side},{margin_side},{round(height * 0.12)},1")


def write_ass(cues: list[Cue], path: Path, width: int, height: int, font_name: str = CJK_FONT_FAMILY) -> None:
    """ASS for ffmpeg's `ass`/`subtitles` filter; burn with drama.fonts.fontconfig_env() in the environment."""
    header = [
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}", "WrapStyle: 2",
        "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding",
        ass_style(width, height, font_name), "",
        "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = []
    for cue in cues:
        name = re.sub(r"[,\n]", " ", cue.speaker or "")
        text = "\\N".join(_ass_escape(line) for line in cue.lines)
        events.append(f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(cue.end)},Default,{name},0,0,0,,{text}")
    atomic.write_text(path, "\n".join(header + events) + "\n")
