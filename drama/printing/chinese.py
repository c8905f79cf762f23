"""A screenplay in the Chinese short-drama format, typeset cleanly: A4, Noto Sans CJK SC 11 pt, scene headings in
bold with their 人物 line, △ action and 名字： dialogue with hanging indents, 【字幕】 cards centred, 【镜头】
directions in grey, transitions to the right; a line never starts with closing punctuation (。，」…) nor ends with
an opening one. Page numbers at the foot, the title at the head.

Pure: a Script in, pages of placed text out (page.py draws them).
"""

from __future__ import annotations

from dataclasses import dataclass

from drama.printing.page import Page, Run
from drama.printing.text import measure, wrap
from drama.screenplay.model import Action, Dialogue, Note, PageBreak, Script, TitleCard, Transition

WIDTH, HEIGHT = 595.0, 842.0  # A4 in points
LEFT = RIGHT = 64.0
TOP, BOTTOM = 72.0, 64.0
SIZE = 11.0
LEADING = 1.75  # line height per em
HEADING_SIZE = 12.5
@dataclass
class _Block:
    lines: list[list[Run]]  # runs with y = 0, placed later
    size: float = SIZE
    space_before: float = 0.6  # in lines
    keep_with_next: bool = False
    new_page: bool = False


def _hanging(label: str, text: str, *, bold_label: bool, grey: bool = False) -> _Block:
    """`label` then `text`, its continuation lines under the text, not under the label."""
    indent = measure(label, SIZE)
    lines = wrap(text, WIDTH - LEFT - RIGHT - indent, SIZE) or [""]
    runs = [[Run(x=LEFT, y=0, text=label, face="cjk", size=SIZE, bold=bold_label, grey=grey),
             Run(x=LEFT + indent, y=0, text=lines[0], face="cjk", size=SIZE, grey=grey)]]
    runs += [[Run(x=LEFT + indent, y=0, text=line, face="cjk", size=SIZE, grey=grey)] for line in lines[1:]]
    return _Block(runs)


def _centred(text: str, size: float = SIZE, *, bold: bool = False, grey: bool = False) -> _Block:
    return _Block([[Run(x=WIDTH / 2, y=0, text=line, face="cjk", size=size, bold=bold, grey=grey, align="center")]
                   for line in wrap(text, WIDTH - LEFT - RIGHT, size)], size=size)


def blocks(script: Script, episode_index: int) -> list[_Block]:
    episode = script.episodes[episode_index]
    out: list[_Block] = []
    if episode.number is not None or episode.title:
        label = " ".join(part for part in (f"第{episode.number}集" if episode.number else "", episode.title or "") if part)
        out.append(_centred(label, HEADING_SIZE, bold=True))
    for scene in episode.scenes:
        if scene.heading is not None:
            out.append(_Block([[Run(x=LEFT, y=0, text=scene.heading.text, face="cjk", size=HEADING_SIZE, bold=True)]],
                              size=HEADING_SIZE, space_before=1.2, keep_with_next=True))
        if scene.characters:
            block = _hanging("人物：", "、".join(scene.characters), bold_label=False, grey=True)
            block.space_before, block.keep_with_next = 0.1, True
            out.append(block)
        for element in scene.elements:
            if isinstance(element, Action):
                out.append(_hanging("△ ", element.text, bold_label=False))
            elif isinstance(element, Dialogue):
                mark = f"（{element.extension}）" if element.extension and element.extension != element.character else ""
                paren = f"（{element.parenthetical}）" if element.parenthetical else ""
                out.append(_hanging(f"{element.character}{mark}：", paren + element.text, bold_label=True))
            elif isinstance(element, TitleCard):
                out.append(_centred(f"【字幕：{element.text}】", bold=True))
            elif isinstance(element, Note) and element.camera:
                out.append(_hanging("【镜头】", element.text, bold_label=False, grey=True))
            elif isinstance(element, Transition):
                out.append(_Block([[Run(x=WIDTH - RIGHT, y=0, text=element.text, face="cjk", size=SIZE, align="right")]]))
            elif isinstance(element, PageBreak):
                out.append(_Block([], new_page=True))
    return out


def _header(script: Script, number: int) -> list[Run]:
    runs = [Run(x=WIDTH / 2, y=HEIGHT - BOTTOM / 2, text=f"— {number} —", face="cjk", size=9, align="center", grey=True)]
    if script.title and number > 1:
        runs.append(Run(x=WIDTH - RIGHT, y=TOP / 2, text=script.title, face="cjk", size=9, align="right", grey=True))
    return runs


def paginate(script: Script, items: list[_Block]) -> list[Page]:
    """Blocks onto A4 pages: a block breaks between its lines; a heading (and its 人物 line) stays with the two
    lines after it."""
    pages: list[Page] = [Page(width=WIDTH, height=HEIGHT, runs=_header(script, 1))]
    y = TOP
    bottom = HEIGHT - BOTTOM

    def new_page() -> None:
        nonlocal y
        pages.append(Page(width=WIDTH, height=HEIGHT, runs=_header(script, len(pages) + 1)))
        y = TOP

    for index, block in enumerate(items):
        if block.new_page:
            if y > TOP:
                new_page()
            continue
        step = block.size * LEADING
        gap = block.space_before * SIZE * LEADING if y > TOP else 0.0
        need = len(block.lines) * step
        following = items[index + 1:index + 3]
        if block.keep_with_next:  # the heading, the 人物 line and two lines of what follows
            need += sum(min(2, len(b.lines)) * b.size * LEADING for b in following if b.lines)
        if y + gap + need > bottom and (block.keep_with_next or y + gap + 2 * step > bottom):
            new_page()
            gap = 0.0
        y += gap
        for line in block.lines:
            if y + step > bottom:
                new_page()
            pages[-1].runs.extend(run.model_copy(update={"y": y + block.size * 1.1}) for run in line)
            y += step
    return pages


def layout(script: Script, episode_indices: list[int]) -> list[Page]:
    """The title, 大纲 and 人物小传 at the top of the first page, then each episode from a new page."""
    front: list[_Block] = []
    if script.title:
        front.append(_centred(script.title, 18, bold=True))
    if script.synopsis:
        front.append(_hanging("大纲：", script.synopsis, bold_label=True))
    if script.characters:
        front.append(_Block([[Run(x=LEFT, y=0, text="人物小传", face="cjk", size=HEADING_SIZE, bold=True)]],
                            size=HEADING_SIZE, space_before=1.2, keep_with_next=True))
        for bio in script.characters:
            age = f"{bio.age}，" if bio.age and bio.age not in bio.description else ""
            front.append(_hanging(f"{bio.name}：", age + bio.description, bold_label=True))
    body = list(front)
    for position, index in enumerate(episode_indices):
        if position:
            body.append(_Block([], new_page=True))
        body += blocks(script, index)
    return paginate(script, body)
