"""Subtitles for a vertical frame: cues timed to the spoken audio, lines broken for a narrow screen
(about 16 CJK characters or 32 Latin ones per line, at most 2 lines per cue, preferably at punctuation),
written as SRT and as ASS styled for burning in with libass.

Breaks fall between words: Latin words by their spaces, Chinese words as jieba segments them, and a run of
nouns, numerals and measure words (城市联赛级, 五百块钱) stays on one line when another break fits. Closing
punctuation never starts a line (it stays with the word before it) and an opening bracket or quote never
ends one. The script's emphasis (*italic*, **bold**, _underline_) is kept: ASS override tags, SRT's <i> <b> <u>.
Dual dialogue (two lines spoken at once) shows both lines in one cue, each after its speaker's name.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import jieba
from jieba import posseg
from pydantic import BaseModel, Field

from drama import atomic
from drama.fonts import CJK_FONT_FAMILY, line_height_ratio
from drama.screenplay.model import Span, Style
from drama.storyboard.model import Shot, Storyboard
from drama.voice.model import DUAL_MARK, VoiceLine, shot_of
from drama.voice.timing import pause_after, units

MAX_UNITS = 16  # line width: a CJK character counts 1, a Latin one ½
MAX_LINES = 2
HOLD = 0.6  # seconds a cue may stay up after its line ends (if the shot lasts that long)
SENTENCE_END = set("。！？!?…;；")
CLAUSE_END = set("，、：,:—")
PUNCTUATION_BONUS = {**{c: 6.0 for c in SENTENCE_END}, **{c: 4.5 for c in CLAUSE_END}}  # in line-width units
OPENERS = "「『（《〈【“‘(["  # an opening bracket or quote goes with the word after it, never ends a line
# What a break before a piece costs, in line-width units: inside a word only when no other break fits, inside a
# noun phrase only when nothing else fits without a further line.
WORD_BOND, PHRASE_BOND = 10_000.0, 16.0
NOMINAL = re.compile(r"^(?:n|m|q|vn|an)")  # jieba's tags of nouns, numerals, measure words, nominal verbs/adjectives
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ASS_TAGS: dict[Style, tuple[str, str]] = {"italic": ("{\\i1}", "{\\i0}"), "bold": ("{\\b1}", "{\\b0}"),
                                          "underline": ("{\\u1}", "{\\u0}")}
SRT_TAGS: dict[Style, tuple[str, str]] = {"italic": ("<i>", "</i>"), "bold": ("<b>", "</b>"),
                                          "underline": ("<u>", "</u>")}


class Cue(BaseModel):
    index: int = Field(ge=1)
    start: float = Field(ge=0)  # seconds on the episode timeline
    end: float
    lines: list[str]
    spans: list[list[Span]] = Field(default_factory=list)  # each display line's emphasis; empty when it has none
    speaker: str | None = None  # who speaks; both names, joined by " / ", when two speak at once
    shot_id: str

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _Piece(NamedTuple):
    text: str  # a timing unit (voice.timing.units) with the punctuation and space after it, opening marks before it
    bond: float  # what a line break before it costs


class _Timed(NamedTuple):
    start: float
    end: float
    lines: list[list[Span]]  # display lines as styled runs
    speaker: str | None


def width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text.strip())


@functools.cache
def _tagger() -> posseg.POSTokenizer:
    """jieba's word segmenter and part-of-speech tagger; its dictionary loads on first use."""
    jieba.setLogLevel(logging.WARNING)
    return posseg.POSTokenizer(jieba.Tokenizer())


def _bonds(text: str) -> dict[int, float]:
    """The cost of a break at each character offset of Chinese text that is not a free break between words."""
    bonds: dict[int, float] = {}
    offset, nominal = 0, False
    for word, flag in _tagger().cut(text):
        if nominal and NOMINAL.match(flag):
            bonds[offset] = PHRASE_BOND
        bonds.update(dict.fromkeys(range(offset + 1, offset + len(word)), WORD_BOND))
        offset, nominal = offset + len(word), bool(NOMINAL.match(flag))
    return bonds


def _pieces(text: str) -> list[_Piece]:
    """`text` (without its leading space) as the pieces a line may break between."""
    parts, carry = [], ""
    for unit in units(text):  # move opening marks to the unit after them: 说：「你 → 说： 「你
        unit = carry + unit
        kept = unit.rstrip(OPENERS)
        carry = unit[len(kept):] if kept.strip() else ""
        parts.append(unit[:len(unit) - len(carry)])
    if carry:  # the text ends on an opening mark
        parts[-1] += carry
    bonds = _bonds(text.lstrip()) if CJK.search(text) else {}
    pieces, offset = [], 0
    for part in parts:
        pieces.append(_Piece(part, bonds.get(offset, 0.0)))
        offset += len(part)
    return pieces


def _joined(pieces: Sequence[_Piece]) -> str:
    return "".join(piece.text for piece in pieces)


def _best_break(pieces: Sequence[_Piece], limit: float, balance: bool) -> int:
    """Index after which to break `pieces` so the first part fits `limit`: between words, at punctuation if it
    can, balanced in width (for two display lines) or as full as possible (for consecutive cues)."""
    total = width(_joined(pieces))
    best, best_cost = 1, float("inf")
    for cut in range(1, len(pieces)):
        head = width(_joined(pieces[:cut]))
        if head > limit and cut > 1:
            break
        tail = total - head
        overflow = max(0.0, head - limit) + (max(0.0, tail - limit) if balance else 0.0)
        cost = (abs(head - tail) if balance else limit - head) + 100 * overflow
        cost += (pieces[cut].bond - PUNCTUATION_BONUS.get(pieces[cut - 1].text.strip()[-1:], 0.0)) * limit / MAX_UNITS
        if cost < best_cost:
            best, best_cost = cut, cost
    return best


def _line_ends(pieces: Sequence[_Piece], max_units: float) -> list[int]:
    """Where each display line ends, as piece counts."""
    ends, done = [], 0
    while width(_joined(pieces[done:])) > max_units:
        remaining = width(_joined(pieces[done:]))
        done += _best_break(pieces[done:], max_units, balance=remaining <= 2 * max_units)
        ends.append(done)
    return ends + [len(pieces)] if done < len(pieces) else ends


def _line_spans(text: str, max_units: float = MAX_UNITS) -> list[tuple[int, int]]:
    """Character spans [start, end) of `text`'s display lines, without their outer spaces."""
    offset, spans, begin = len(text) - len(text.lstrip()), [], 0
    pieces = _pieces(text)
    for end in _line_ends(pieces, max_units):
        first = offset + len(_joined(pieces[:begin]))
        line = _joined(pieces[begin:end])
        lead = len(line) - len(line.lstrip())
        spans.append((first + lead, first + len(line.rstrip())))
        begin = end
    return spans


def break_lines(text: str, max_units: float = MAX_UNITS) -> list[str]:
    """One cue's text as display lines of at most `max_units` each (two lines at most when the cue was
    cut by `split_text`); breaks fall between words, never inside one that fits a line."""
    return [text[first:last] for first, last in _line_spans(text, max_units)]


def split_text(text: str, max_units: float = MAX_UNITS, max_lines: int = MAX_LINES) -> list[tuple[int, int]]:
    """Character spans [start, end) of `text`, each short enough for one cue, cut at sentence or clause
    ends where possible, between words."""
    offset = len(text) - len(text.lstrip())
    pieces = _pieces(text)
    spans = []
    while pieces:
        if width(_joined(pieces)) <= max_units * max_lines:
            cut = len(pieces)
        else:
            cut = _best_break(pieces, max_units * max_lines, balance=False)
        while cut > 1 and len(_line_ends(pieces[:cut], max_units)) > max_lines:
            # word lengths kept it from packing into max_lines lines: give the next cue a word
            cut = max((k for k in range(1, cut) if pieces[k].bond < WORD_BOND), default=cut - 1)
        length = len(_joined(pieces[:cut]))
        spans.append((offset, offset + length))
        offset += length
        pieces = pieces[cut:]
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


def _styles(text: str, spans: list[Span]) -> list[tuple[Style, ...]]:
    """The emphasis of each character of a spoken line, from the spans of the text it was spoken from (which may
    still hold directions the voice left out): characters are matched in order."""
    written = "".join(span.text for span in spans)
    marks = [span.styles for span in spans for _ in span.text]
    if written == text:
        return marks
    styles: list[tuple[Style, ...]] = [()] * len(text)
    for block in difflib.SequenceMatcher(None, written, text, autojunk=False).get_matching_blocks():
        styles[block.b:block.b + block.size] = marks[block.a:block.a + block.size]
    return styles


def _runs(text: str, styles: list[tuple[Style, ...]], first: int, last: int) -> list[Span]:
    """Characters [first, last) of `text` as runs of equal emphasis."""
    runs: list[Span] = []
    for position in range(first, last):
        if runs and runs[-1].styles == styles[position]:
            runs[-1] = Span(text=runs[-1].text + text[position], styles=styles[position])
        else:
            runs.append(Span(text=text[position], styles=styles[position]))
    return runs


def _timed(line: VoiceLine, spans: list[Span], shot: Shot, base: float, max_units: float,
           max_lines: int) -> list[_Timed]:
    """A spoken line as consecutive pieces, each short enough for one cue, timed by its word timings; the last
    may stay up briefly after the line, never past its shot."""
    styles = _styles(line.text, spans) if spans else [()] * len(line.text)
    cuts = split_text(line.text, max_units, max_lines)
    pieces = []
    for number, (first, last) in enumerate(cuts):
        start = base + (0.0 if number == 0 else _time_at(line, first))
        if number + 1 < len(cuts):
            end = base + _time_at(line, cuts[number + 1][0])
        else:
            end = base + line.duration + min(HOLD, max(shot.duration - line.duration, 0.0), pause_after(shot))
        text = line.text[first:last]
        display = [_runs(line.text, styles, first + a, first + b) for a, b in _line_spans(text, max_units)]
        pieces.append(_Timed(start, max(end, start + 0.1), display, line.speaker))
    return pieces


def _label(line: VoiceLine) -> str:
    """`沈清：` or `ADA: `, before a line shown beside another speaker's."""
    if not line.speaker:
        return ""
    return f"{line.speaker}：" if CJK.search(line.text + line.speaker) else f"{line.speaker}: "


def _together(voices: list[tuple[str, list[_Timed]]]) -> list[_Timed]:
    """Lines spoken at once as one series of cues: at every moment, what each line shows, after its speaker's
    label; a cue changes whenever one of the lines moves on to its next piece."""
    times = sorted({time for _, pieces in voices for piece in pieces for time in (piece.start, piece.end)})
    shown: list[_Timed] = []
    for start, end in zip(times, times[1:], strict=False):
        now = [(label, piece) for label, pieces in voices for piece in pieces if piece.start <= start and end <= piece.end]
        lines = [line for label, piece in now for line in ([Span(text=label), *piece.lines[0]], *piece.lines[1:])]
        if shown and shown[-1].end == start and shown[-1].lines == lines:
            shown[-1] = shown[-1]._replace(end=end)
        elif lines:
            shown.append(_Timed(start, end, lines, " / ".join(piece.speaker or "" for _, piece in now)))
    return shown


def _emphasis(line: VoiceLine, shot: Shot) -> list[Span]:
    """The spans of the text a line was spoken from: its shot's, or the shot's dual line's."""
    return shot.dual.spans if shot.dual is not None and line.shot_id.endswith(DUAL_MARK) else shot.spans


def cues_for(storyboard: Storyboard, lines: list[VoiceLine], shot_starts: dict[str, float] | None = None) -> list[Cue]:
    """Cues for every spoken line except title cards (the edit draws those): a line starts at its shot's
    start; a long line becomes consecutive cues timed by its word timings; a cue may stay up
    briefly after the line, never past its shot or into the next cue. A dual-dialogue line (shot_id `…^`)
    starts with its shot's own line and shares its cues, one display line per speaker."""
    if shot_starts is None:
        shot_starts, clock = {}, 0.0
        for shot in storyboard.shots:
            shot_starts[shot.id] = clock
            clock += shot.duration
    shots = {shot.id: shot for shot in storyboard.shots}
    spoken: dict[str, list[VoiceLine]] = {}
    for line in sorted(lines, key=lambda item: item.shot_id):  # a shot's own line before its ^ line
        spoken.setdefault(shot_of(line.shot_id), []).append(line)
    cues: list[Cue] = []
    for shot_id in sorted(spoken, key=lambda shot_id: shot_starts[shot_id]):
        shot = shots[shot_id]
        if shot.kind == "title_card":
            continue
        base = shot_starts[shot_id]
        if len(spoken[shot_id]) == 1:
            (line,) = spoken[shot_id]
            shown = _timed(line, _emphasis(line, shot), shot, base, MAX_UNITS, MAX_LINES)
        else:
            shown = _together([(_label(line), _timed(line, _emphasis(line, shot), shot, base,
                                                     MAX_UNITS - width(_label(line)), 1)) for line in spoken[shot_id]])
        for start, end, display, speaker in shown:
            if cues and cues[-1].end > start:
                cues[-1] = cues[-1].model_copy(update={"end": round(start, 3)})
            emphasised = any(run.styles for runs in display for run in runs)
            cues.append(Cue(index=len(cues) + 1, start=round(start, 3), end=round(end, 3),
                            lines=["".join(run.text for run in runs) for runs in display],
                            spans=display if emphasised else [], speaker=speaker, shot_id=shot_id))
    return cues


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _ass_time(seconds: float) -> str:
    cs = round(seconds * 100)
    return f"{cs // 360_000:d}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _display(cue: Cue, tags: dict[Style, tuple[str, str]], escape: Callable[[str], str] = str) -> list[str]:
    """The cue's display lines, each emphasised run between the tags that open and close its styles."""
    if not cue.spans:
        return [escape(line) for line in cue.lines]
    return ["".join("".join(tags[style][0] for style in run.styles) + escape(run.text) +
                    "".join(tags[style][1] for style in reversed(run.styles)) for run in runs) for runs in cue.spans]


def write_srt(cues: list[Cue], path: Path) -> None:
    blocks = [f"{n}\n{_srt_time(c.start)} --> {_srt_time(c.end)}\n" + "\n".join(_display(c, SRT_TAGS)) + "\n"
              for n, c in enumerate(cues, start=1)]
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
        text = "\\N".join(_display(cue, ASS_TAGS, _ass_escape))
        events.append(f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(cue.end)},Default,{name},0,0,0,,{text}")
    atomic.write_text(path, "\n".join(header + events) + "\n")
