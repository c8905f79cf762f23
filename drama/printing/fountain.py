"""A Fountain screenplay in the industry layout: US Letter, Courier 12 pt (10 characters an inch, 6 lines an inch),
1.5" left and 1" right margins, 54 lines a page, page numbers top right from page 2, scene numbers at both margins,
dual dialogue side by side, and a speech that runs over a page break marked (MORE) at the bottom and continued
under NAME (CONT'D) at the top of the next.

Pure: a Script in, pages of placed text out (page.py draws them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from drama.printing.page import Page, Run, is_wide
from drama.screenplay.model import (Action, Dialogue, Lyrics, Note, PageBreak, Script, Section, Span, Synopsis,
                                    TitleCard, Transition)

INCH = 72.0
WIDTH, HEIGHT = 8.5 * INCH, 11 * INCH
TOP = 1.0 * INCH
LINE = 12.0  # points: Courier 12 pt, six lines an inch
LINES = 54  # lines a page between 1" margins
# left edges and widths (in characters) of each element, in inches from the page's left edge
ACTION, ACTION_COLUMNS = 1.5, 60
CUE = 3.7
PAREN, PAREN_COLUMNS = 3.1, 26
SPEECH, SPEECH_COLUMNS = 2.5, 35
TRANSITION_RIGHT = 7.5
SCENE_NUMBER_LEFT, SCENE_NUMBER_RIGHT = 0.75, 7.75
# dual dialogue: two columns of the action width, each with its own cue, parenthetical and speech
DUAL = ((1.5, 28), (4.6, 28))
MORE, CONTD = "(MORE)", "(CONT'D)"


@dataclass
class _Line:
    runs: list[Run] = field(default_factory=list)  # y is set when the line is placed on a page


@dataclass
class _Block:
    kind: str
    lines: list[_Line]
    space_before: int = 1
    # a speech that may break across pages: who speaks (for the CONT'D cue) and how many lines head it (cue, paren)
    speaker: str | None = None
    head: int = 0
    new_page: bool = False


def columns(text: str) -> int:
    return sum(2 if is_wide(char) else 1 for char in text)


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` Courier columns (a CJK character takes two), broken at spaces, or
    between CJK characters, or inside a word longer than a line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        tokens = re.findall(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|\s+",
                            paragraph)
        line = ""
        for token in tokens:
            if columns(line + token.rstrip()) <= width:
                line += token
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = "" if token.isspace() else token
            while columns(line) > width:  # a word longer than the line
                cut = width
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def _text(x: float, text: str, **style) -> _Line:
    return _Line([Run(x=x * INCH, y=0, text=text, **style)])


def _styled(x: float, text: str, spans: list[Span], width: int) -> list[_Line]:
    """`text` wrapped to `width` columns, each line cut into runs by the script's emphasis (*italic*, **bold**,
    _underline_), each run placed at its column (Courier is monospaced)."""
    styles = [span.styles for span in spans for _ in span.text]
    if len(styles) != len(text) or not any(styles):
        return [_text(x, line) for line in wrap(text, width)]
    lines = []
    position = 0
    for line in wrap(text, width):
        start = text.find(line, position) if line else position
        position = start + len(line)
        runs, column = [], 0
        for offset, char in enumerate(line):
            style = styles[start + offset]
            if runs and runs[-1][1] == style:
                runs[-1][0] += char
            else:
                runs.append([char, style, column])
            column += columns(char)
        lines.append(_Line([Run(x=x * INCH + column * LINE * 0.6, y=0, text=piece, bold="bold" in style,
                                italic="italic" in style, underline="underline" in style)
                            for piece, style, column in runs]))
    return lines


def _speech_lines(dialogue: Dialogue, cue_x: float, paren_x: float, speech_x: float, paren_width: int,
                  speech_width: int, *, continued: bool = False) -> tuple[list[_Line], int]:
    extensions = [dialogue.extension] if dialogue.extension else []
    if continued and not any(CONTD.strip("()") in e.upper() for e in extensions):
        extensions.append(CONTD.strip("()"))
    cue = " ".join([dialogue.character.upper(), *(f"({e})" for e in extensions)])
    lines = [_text(cue_x, cue)]
    if dialogue.parenthetical:
        lines += [_text(paren_x, line) for line in wrap(f"({dialogue.parenthetical})", paren_width)]
    head = len(lines)
    lines += _styled(speech_x, dialogue.text, dialogue.spans, speech_width)
    return lines, head


def _dialogue(dialogue: Dialogue, *, continued: bool = False) -> _Block:
    """A speech; `continued` when the same person spoke last in the scene, only action between (their cue gets
    (CONT'D), as screenwriting software writes it)."""
    lines, head = _speech_lines(dialogue, CUE, PAREN, SPEECH, PAREN_COLUMNS, SPEECH_COLUMNS, continued=continued)
    return _Block("dialogue", lines, speaker=dialogue.character.upper(), head=head)


def _dual(left: Dialogue, right: Dialogue) -> _Block:
    """Two speeches side by side: each column's lines on the same rows, the longer one setting the height."""
    sides = []
    for (x, width), dialogue in zip(DUAL, (left, right), strict=True):
        cue_x = x + (width - columns(dialogue.character)) / 2 / 10  # the cue centred over its column
        lines, _ = _speech_lines(dialogue, cue_x, x + 0.3, x, width - 6, width)
        sides.append(lines)
    rows = max(len(side) for side in sides)
    merged = [_Line([*(sides[0][i].runs if i < len(sides[0]) else []), *(sides[1][i].runs if i < len(sides[1]) else [])])
              for i in range(rows)]
    return _Block("dual", merged)


def blocks(script: Script, episode_index: int) -> list[_Block]:
    """The episode's elements as blocks of lines, in order; notes, sections and synopses are not printed."""
    out: list[_Block] = []
    ordinal = 0
    for scene in script.episodes[episode_index].scenes:
        if scene.heading is not None:
            ordinal += 1
            number = scene.heading.number or str(ordinal)
            heading = _Line([Run(x=SCENE_NUMBER_LEFT * INCH, y=0, text=number, align="right"),
                             Run(x=ACTION * INCH, y=0, text=scene.heading.text.upper(), bold=True),
                             Run(x=SCENE_NUMBER_RIGHT * INCH, y=0, text=number)])
            out.append(_Block("heading", [heading], space_before=2 if out else 0))
        elements = scene.elements
        last_speaker: str | None = None  # who spoke last in the scene, while only action follows
        for index, element in enumerate(elements):
            if isinstance(element, Dialogue) and element.dual:
                continue  # printed beside the speech before it
            following = elements[index + 1] if index + 1 < len(elements) else None
            paired = isinstance(following, Dialogue) and following.dual
            if isinstance(element, Dialogue) and paired:
                out.append(_dual(element, following))
            elif isinstance(element, Dialogue):
                out.append(_dialogue(element, continued=element.character.strip().upper() == last_speaker))
            elif isinstance(element, Action):
                out.append(_Block("action", _styled(ACTION, element.text, element.spans, ACTION_COLUMNS)))
            elif isinstance(element, Lyrics):
                out.append(_Block("lyrics", [_text(SPEECH, line, italic=True) for line in wrap(element.text, SPEECH_COLUMNS)]))
            elif isinstance(element, Transition) and element.kind == "fade_in":  # FADE IN: opens at the left
                out.append(_Block("transition", [_text(ACTION, element.text.upper())]))
            elif isinstance(element, Transition):
                out.append(_Block("transition", [_Line([Run(x=TRANSITION_RIGHT * INCH, y=0, text=element.text.upper(),
                                                              align="right")])]))
            elif isinstance(element, TitleCard):
                out.append(_Block("centered", [_Line([Run(x=(ACTION + 3.0) * INCH, y=0, text=line, align="center")])
                                               for line in wrap(element.text, ACTION_COLUMNS)]))
            elif isinstance(element, PageBreak):
                out.append(_Block("page_break", [], new_page=True))
            if isinstance(element, Dialogue):
                last_speaker = None if paired else element.character.strip().upper()
            elif not isinstance(element, (Action, Note, Section, Synopsis)):
                last_speaker = None  # a transition, a card, a page break: the next speech starts afresh
    if out and out[0].kind != "heading":
        out[0].space_before = 0
    return out


def _number(page: int) -> Run:
    return Run(x=TRANSITION_RIGHT * INCH, y=0.5 * INCH + 9, text=f"{page}.", align="right")


def paginate(items: list[_Block], *, first_number: int = 1) -> list[Page]:
    """Blocks onto pages of LINES lines: a heading is never the last thing on a page, an action paragraph breaks
    between lines (two at least on each side), a speech breaks between its lines with (MORE) and NAME (CONT'D),
    a dual speech and a transition move whole."""
    pages: list[list[tuple[int, _Line]]] = [[]]
    used = 0

    def new_page() -> None:
        nonlocal used
        pages.append([])
        used = 0

    def put(line: _Line) -> None:
        nonlocal used
        pages[-1].append((used, line))
        used += 1

    for index, block in enumerate(items):
        if block.new_page:
            if used:
                new_page()
            continue
        lines, head = block.lines, block.head
        while lines:
            gap = block.space_before if used else 0
            room = LINES - used - gap
            need = len(lines)
            if block.kind == "heading":  # keep it with the first two lines of what follows
                following = items[index + 1] if index + 1 < len(items) else None
                need += (following.space_before + min(2, len(following.lines))) if following else 0
            if need <= room:
                used += gap
                for line in lines:
                    put(line)
                break
            speech = block.kind == "dialogue"
            cut = room - 1 if speech else room  # a speech keeps a line for (MORE)
            if used and not (block.kind in ("action", "lyrics", "dialogue") and cut - (head if speech else 0) >= 2
                             and len(lines) - cut >= (1 if speech else 2)):
                new_page()  # moves whole to the next page
                continue
            used += gap
            for line in lines[:cut]:  # breaks here (or is longer than a page)
                put(line)
            if speech:
                put(_text(CUE, MORE))
            new_page()
            lines = [_text(CUE, f"{block.speaker} {CONTD}"), *lines[cut:]] if speech else lines[cut:]
            head = 1
    out = []
    for number, lines in enumerate(pages, start=first_number):
        runs = [run.model_copy(update={"y": TOP + (row + 1) * LINE - 3}) for row, line in lines for run in line.runs]
        out.append(Page(width=WIDTH, height=HEIGHT, runs=([_number(number)] if number > 1 else []) + runs))
    return out


def title_page(script: Script) -> Page | None:
    """Title, credit, author and source centred; draft date and contact at the bottom left."""
    keys = {key.lower(): value for key, value in script.title_page.items()}
    title = keys.get("title") or script.title
    if not title:
        return None
    runs = []
    y = 4.0 * INCH
    for text, gap in ((title.replace("*", "").replace("_", "").upper(), 4), (keys.get("credit", "Written by"), 2),
                      (keys.get("author") or keys.get("authors", ""), 4), (keys.get("source", ""), 2)):
        for line in text.split("\n"):
            if line:
                runs.append(Run(x=WIDTH / 2, y=y, text=line.strip(), align="center", bold=line is title))
                y += LINE
        y += (gap - 1) * LINE
    y = HEIGHT - 1.0 * INCH - 3 * LINE
    for key in ("draft date", "contact", "copyright"):
        for line in keys.get(key, "").split("\n"):
            if line:
                runs.append(Run(x=ACTION * INCH, y=y, text=line.strip()))
                y += LINE
    return Page(width=WIDTH, height=HEIGHT, runs=runs)


def layout(script: Script, episode_indices: list[int]) -> list[Page]:
    """The title page (when the script has one), then each episode from a new page."""
    pages = [page] if (page := title_page(script)) else []
    body: list[_Block] = []
    for index in episode_indices:
        episode_blocks = blocks(script, index)
        if body and episode_blocks:
            body.append(_Block("page_break", [], new_page=True))
        body += episode_blocks
    return pages + paginate(body)
