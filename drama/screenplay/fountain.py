"""The Fountain dialect (https://fountain.io/syntax): a paragraph-based plain-text screenplay format.

The parser reads paragraphs (runs of non-blank lines) and decides each one's element by the spec's
rules in the spec's order, one compiled regex per rule, in one linear pass.
Extensions over the spec: a level-1 section that reads as an episode marker (`# Episode 2: Title`,
`# 第二集`) starts an episode; a scene heading may be followed directly by action without a blank line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from PIL import ImageColor

from drama.screenplay.builder import ScriptBuilder
from drama.screenplay.episodes import episode_marker
from drama.screenplay.inline import emphasis, extract_notes
from drama.screenplay.lines import Line, is_blank
from drama.screenplay.model import (
    Action, Dialogue, Lyrics, Note, PageBreak, SceneHeading, Script, Section, Synopsis, TitleCard, Transition,
)
from drama.screenplay.vocabulary import is_camera_direction, is_voiceover, time_of_day, transition_kind

_TITLE_KEY = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9 _'\-]{0,39}?)\s*:[ ]*(?P<value>.*)$")
_PAGE_BREAK = re.compile(r"^\s*={3,}\s*$")
_SECTION = re.compile(r"^\s*(?P<level>#+)\s*(?P<text>.*?)\s*$")
_SYNOPSIS = re.compile(r"^\s*=(?!=)\s*(?P<text>.*?)\s*$")
_HEADING = re.compile(
    r"^(?P<setting>INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|I\.?\s*/\s*E|INT|EXT|EST)(?:\.\s*|\s+|\.?$)(?P<rest>.*)$", re.I
)
_FORCED_HEADING = re.compile(r"^\.(?![.\s])(?P<rest>.*)$")
_SCENE_NUMBER = re.compile(r"\s*#(?P<number>[^#\s]+)#\s*$")
_TIME_DASH = re.compile(r"\s+[-–—]+\s+")
_LATER = re.compile(r"LATER|MOMENTS|CONTINUOUS|SAME", re.I)
_CENTERED = re.compile(r"^\s*>\s*(?P<text>.*?)\s*<\s*$")
_FORCED_TRANSITION = re.compile(r"^\s*>\s*(?P<text>.*?)\s*$")
_TRANSITION = re.compile(
    r"^(?:[^a-z]*\bTO:|(?:FADE IN|FADE OUT|FADE TO BLACK|CUT TO BLACK|SMASH CUT|MATCH CUT|JUMP CUT|DISSOLVE)[.:]?)$"
)
# A dip through a colour: BURN TO PINK., DISSOLVE TO WHITE., FADE OUT TO RED., DIP TO #FF69B4. The colour is
# any CSS/X11 name Pillow knows (spaces ignored: HOT PINK) or a hex code.
_DIP = re.compile(r"^(?:FADE|DISSOLVE|BURN|DIP|FLASH|WASH)(?:\s+OUT)?\s+TO\s+(?P<color>#?[A-Z0-9 ]+?)\s*[.:]?$", re.I)


class _Text(NamedTuple):
    number: int
    text: str  # notes removed, indentation kept
    notes: list[str]


class _Cue(NamedTuple):
    name: str
    extension: str | None
    voiceover: bool
    dual: bool


def parse(lines: list[Line], source: Path | None = None) -> Script:
    """Parse logical lines (boneyard already removed) into a Script."""
    title_page, start = _title_page(lines)
    builder = ScriptBuilder(source)
    for block in _paragraphs(lines[start:]):
        texts, standalone = _with_notes(block)
        if texts:
            _block(texts, builder)
        else:
            builder.add(*standalone)
    title = next((value for key, value in title_page.items() if key.lower() == "title"), None)
    return Script(source=source, dialect="fountain", title=title.replace("\n", " ") if title else None,
                  title_page=title_page, episodes=builder.build())


def parse_heading(text: str, line: int) -> SceneHeading:
    """`INT. HOUSE - NIGHT #12A#` → setting INT, location HOUSE, time NIGHT, number 12A."""
    number = None
    found = _SCENE_NUMBER.search(text)
    if found:
        number, text = found["number"], text[:found.start()]
    text = text.strip()
    setting, rest = "", text
    match = _HEADING.match(text)
    if match:
        compact = re.sub(r"[.\s]", "", match["setting"]).upper()
        setting = {"INT": "INT", "EXT": "EXT", "EST": "EST"}.get(compact, "INT/EXT")
        rest = match["rest"].strip()
    location, time = rest, ""
    dashes = list(_TIME_DASH.finditer(rest))
    if dashes:
        candidate = rest[dashes[-1].end():].strip()
        if time_of_day(candidate) != "unknown" or _LATER.search(candidate):
            location, time = rest[:dashes[-1].start()].strip(), candidate
    return SceneHeading(text=text, line=line, setting=setting, location=location, time=time,
                        time_of_day=time_of_day(time) if time else "unknown", number=number)


def looks_like(text: str) -> bool:
    """A line only Fountain would write (for dialect detection): a scene heading or a `TO:` transition."""
    stripped = text.strip()
    return bool(_HEADING.match(stripped) or (_TRANSITION.match(stripped) and stripped.isupper()))


def _dip_color(text: str) -> str | None:
    """`BURN TO PINK.` → "#ffc0cb": the colour a dip transition passes through, None when the text names none."""
    found = _DIP.match(text.strip())
    if not found:
        return None
    try:
        red, green, blue = ImageColor.getrgb(re.sub(r"\s+", "", found["color"]).lower())[:3]
    except ValueError:
        return None
    return f"#{red:02x}{green:02x}{blue:02x}"


def _transition(text: str, line: int, notes: list[str]) -> Transition:
    """A transition; a dip through black is the fade to black it looks like, any other colour a `dip`."""
    color = _dip_color(text)
    if color is None:
        return Transition(line=line, notes=notes, text=text, kind=transition_kind(text))
    if color == "#000000":
        return Transition(line=line, notes=notes, text=text, kind="fade_to_black")
    return Transition(line=line, notes=notes, text=text, kind="dip", color=color)


def _title_page(lines: list[Line]) -> tuple[dict[str, str], int]:
    """The `Key: value` block at the top; values may continue on indented lines. Returns the page
    and the index of the first body line."""
    i = 0
    while i < len(lines) and is_blank(lines[i].text):
        i += 1
    if i == len(lines):
        return {}, 0
    first = extract_notes(lines[i].text)[0].strip()
    if not _TITLE_KEY.match(first) or _TRANSITION.match(first) or _HEADING.match(first):
        return {}, 0
    values: dict[str, list[str]] = {}
    key = ""
    while i < len(lines) and not is_blank(lines[i].text):
        text = extract_notes(lines[i].text)[0]
        match = _TITLE_KEY.match(text)
        if match and not text[:1].isspace():
            key = match["key"].strip()
            values.setdefault(key, []).append(match["value"].strip())
        else:
            values.setdefault(key, []).append(text.strip())
        i += 1
    page = {key: emphasis("\n".join(part for part in parts if part))[0] for key, parts in values.items()}
    return page, i


def _paragraphs(lines: list[Line]) -> Iterator[list[Line]]:
    """Runs of non-blank lines; page breaks, sections and synopses always stand alone."""
    block: list[Line] = []
    for line in lines:
        if is_blank(line.text):
            if block:
                yield block
                block = []
        elif _PAGE_BREAK.match(line.text) or _SYNOPSIS.match(line.text) or line.text.lstrip().startswith("#"):
            if block:
                yield block
                block = []
            yield [line]
        else:
            block.append(line)
    if block:
        yield block


def _with_notes(block: list[Line]) -> tuple[list[_Text], list[Note]]:
    """Cut [[notes]] out of each line. A paragraph of notes alone becomes Note elements; a note alone
    on a line inside a paragraph goes with the next line (or the last one)."""
    texts: list[_Text] = []
    pending: list[str] = []
    standalone: list[Note] = []
    for line in block:
        text, notes = extract_notes(line.text)
        if notes and not text.strip():
            pending.extend(notes)
            standalone.extend(Note(line=line.number, text=note, camera=is_camera_direction(note)) for note in notes)
            continue
        texts.append(_Text(line.number, text, pending + notes))
        pending = []
    if texts and pending:
        texts[-1] = texts[-1]._replace(notes=texts[-1].notes + pending)
    return texts, standalone


def _is_transition(text: str) -> bool:
    return text.startswith(">") and not text.endswith("<") or \
        bool(_TRANSITION.match(text) or _dip_color(text)) and text.upper() == text


def _is_heading(text: str) -> bool:
    return bool(_FORCED_HEADING.match(text) or _HEADING.match(text))


def _block(texts: list[_Text], builder: ScriptBuilder) -> None:
    first = texts[0].text.strip()
    line, notes = texts[0].number, texts[0].notes
    single = len(texts) == 1
    if single and _PAGE_BREAK.match(first):
        builder.add(PageBreak(line=line, notes=notes))
    elif single and first.startswith("#"):
        section = _SECTION.match(first)
        marker = episode_marker(section["text"]) if len(section["level"]) == 1 else None
        if marker:
            builder.episode(marker.number, marker.title, line)
        else:
            builder.add(Section(line=line, notes=notes, level=len(section["level"]), text=section["text"]))
    elif single and _SYNOPSIS.match(first):
        builder.add(Synopsis(line=line, notes=notes, text=_SYNOPSIS.match(first)["text"]))
    elif all(_CENTERED.match(text.text) for text in texts):
        card = "\n".join(_CENTERED.match(text.text)["text"] for text in texts)
        builder.add(TitleCard(line=line, notes=_all_notes(texts), text=emphasis(card)[0]))
    elif _FORCED_HEADING.match(first) or _HEADING.match(first):
        forced = _FORCED_HEADING.match(first)
        builder.scene(parse_heading(forced["rest"] if forced else first, line))
        builder.add(*(Note(line=line, text=note, camera=is_camera_direction(note)) for note in notes))
        if not single:
            _block(texts[1:], builder)
    elif not single and _is_transition(first) and _is_heading(texts[1].text.strip()):  # FADE IN: just above a heading
        _block(texts[:1], builder)
        _block(texts[1:], builder)
    elif single and first.startswith(">"):
        builder.add(_transition(_FORCED_TRANSITION.match(first)["text"], line, notes))
    elif single and _is_transition(first):
        builder.add(_transition(first, line, notes))
    elif all(text.text.lstrip().startswith("~") for text in texts):
        lyric = "\n".join(text.text.strip()[1:].strip() for text in texts)
        builder.add(Lyrics(line=line, notes=_all_notes(texts), text=emphasis(lyric)[0]))
    elif not single and (cue := _cue(first)):
        builder.add(*_dialogue(cue, texts))
    else:
        builder.add(_action(texts))


def _cue(text: str) -> _Cue | None:
    """A character cue: an upper-case name (or any name forced with @), optional (V.O.) extensions, ^ for dual."""
    forced = text.startswith("@")
    text = text[1:].strip() if forced else text
    dual = text.endswith("^")
    text = text.rstrip("^").rstrip()
    name, extensions = _split_extensions(text)
    if not name or text.startswith("!") or name.endswith(":"):
        return None
    if not forced and not (name == name.upper() and any(char.isupper() for char in name)):
        return None
    extension = ", ".join(part for part in extensions if part) or None
    return _Cue(name, extension, any(is_voiceover(part) for part in extensions), dual)


def _split_extensions(cue: str) -> tuple[str, list[str]]:
    """`ADA (V.O.) (CONT'D)` → ("ADA", ["V.O.", "CONT'D"]), peeled from the end in one linear pass."""
    extensions: list[str] = []
    end = len(cue.rstrip())
    while end and cue[end - 1] == ")":
        start = cue.rfind("(", 0, end)
        if start < 0 or ")" in cue[start + 1:end - 1]:
            break
        extensions.append(cue[start + 1:end - 1].strip())
        end = len(cue[:start].rstrip())
    return cue[:end].strip(), extensions[::-1]


def _dialogue(cue: _Cue, texts: list[_Text]) -> list[Dialogue]:
    """One Dialogue per parenthetical run: `(beat)` inside a speech starts a new line with its own delivery.
    A cue with only a parenthetical is a wordless reaction (empty text)."""
    pieces: list[tuple[int, str | None, list[str], list[str]]] = []
    parenthetical: str | None = None
    words: list[str] = []
    notes: list[str] = list(texts[0].notes)
    start = texts[0].number  # the first line starts at its cue
    for text in texts[1:]:
        stripped = text.text.strip()
        if stripped.startswith("(") and stripped.endswith(")"):
            if words:
                pieces.append((start, parenthetical, words, notes))
                parenthetical, words, notes, start = None, [], [], text.number
            inner = stripped[1:-1].strip()
            parenthetical = f"{parenthetical} {inner}" if parenthetical else inner
        else:
            words.append(stripped[1:].lstrip() if stripped.startswith("~") else stripped)  # a sung line
        notes = notes + text.notes
    pieces.append((start, parenthetical, words, notes))
    out = []
    for line, delivery, spoken, piece_notes in pieces:
        plain, spans = emphasis("\n".join(spoken))
        out.append(Dialogue(line=line, notes=piece_notes, character=cue.name, extension=cue.extension,
                            parenthetical=delivery, text=plain, spans=spans, voiceover=cue.voiceover, dual=cue.dual))
    return out


def _action(texts: list[_Text]) -> Action:
    """Action keeps its line breaks and indentation; a leading ! (forced action) is dropped."""
    body = "\n".join(text.text[1:] if text.text.startswith("!") else text.text for text in texts)
    plain, spans = emphasis("\n".join(line.rstrip() for line in body.split("\n")))
    return Action(line=texts[0].number, notes=_all_notes(texts), text=plain, spans=spans)


def _all_notes(texts: list[_Text]) -> list[str]:
    return [note for text in texts for note in text.notes]
