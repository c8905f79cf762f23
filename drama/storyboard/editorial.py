"""Screenplay directions that belong to the edit, not the picture: transitions, title cards, sign text, POV and
insert headings.

Writers put them where the parser sees action (`FADE IN:` on the line above a heading, `TITLE OVER: Three
years later`, `THE SIGN READS: "CLOSED"`, `△ 站牌上写着：青溪镇。`) or a cue (`SUPER` followed by its words),
or force them as headings (`.SNIPER SCOPE POV`, `.INSERT - THE LETTER`, `.BACK TO SCENE`). Each is sorted here
so the planner sends it to the edit (a transition or a title card) or frames it (an insert with the sign's
words, a POV shot in the current place) instead of drawing an empty shot or a new scene.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from drama.screenplay.model import TransitionKind
from drama.screenplay.vocabulary import transition_kind

PartKind = Literal["action", "transition", "title", "sign", "framing"]
HeadingKind = Literal["pov", "insert", "back", "titles"]

_TRANSITION = re.compile(r"^(?:FADE IN|FADE OUT|FADE TO BLACK|CUT TO BLACK|(?:[A-Z]+ )*CUT TO|DISSOLVE(?: TO)?|FADE TO"
                         r"|淡入|淡出|渐显|渐隐|黑屏|切至|切到|叠化|转场)[\s.:：。]*$")
_TITLE = re.compile(r"^(?i:(?:TITLE(?: CARD)?(?: OVER)?|SUPER(?:IMPOSE)?|CAPTION|CHYRON|INTERTITLE|ON SCREEN|CARD)\s*[:：]\s*)"
                    r"(?P<text>.*)$|^(?:字幕|屏幕字幕|画面字幕|标题|字卡)\s*[：:]\s*(?P<zh>.*)$")
_SIGN = re.compile(r"^(?i:(?:THE |A |AN )?(?:[A-Z]+ )?(?:SIGN|PLACARD|BANNER|PLAQUE|NOTICE|SCREEN|MESSAGE|TEXT)"
                   r"(?: (?:READS|SAYS|SHOWS))?\s*[:：]\s*)(?P<text>.+)$"
                   r"|^(?:[^\s，。]{0,8}?(?:牌|招牌|横幅|告示|标语|屏幕|黑板|门牌|海报|短信|消息)(?:上)?)(?:写着|显示|写道|赫然写着)[：:]\s*(?P<zh>.+)$")
_QUOTED_CAPS = re.compile(r"^[\"“](?P<text>[^a-z\"“”]*[A-Z][^a-z\"“”]*)[\"”]\.?$")
_HEADINGS: tuple[tuple[re.Pattern[str], HeadingKind], ...] = (
    (re.compile(r"^(?:BACK TO(?: THE)? (?:SCENE|PRESENT)|RESUME SCENE|END (?:POV|INSERT))\b", re.I), "back"),
    (re.compile(r"\bP\.?O\.?V\.?\b|主观镜头|视角", re.I), "pov"),
    (re.compile(r"^(?:(?:OPENING|MAIN|END|CLOSING) )?(?:TITLES|CREDITS)\b|^TITLE SEQUENCE\b|^片头|^片尾", re.I), "titles"),
    (re.compile(r"^(?:INSERT|CLOSE ON|CLOSE UP|CLOSEUP|ANGLE ON|TIGHT ON|EXTREME CLOSE UP|ECU|CU)\b|^(?:插入|特写)", re.I), "insert"),
)
# cue names that are a direction, not a speaker: their words are a title card (SUPER) or a sign's text (SIGN)
_CUES: dict[str, PartKind] = {"TITLE": "title", "TITLE OVER": "title", "SUPER": "title", "CAPTION": "title",
                              "TITLE CARD": "title", "CHYRON": "title", "字幕": "title",
                              "SIGN": "sign", "THE SIGN": "sign", "SIGN READS": "sign", "THE SIGN READS": "sign",
                              "TEXT MESSAGE": "sign", "ON SCREEN": "sign"}


@dataclass(frozen=True)
class Part:
    kind: PartKind
    text: str  # action text, a card's words, or a sign's words (quotes removed)
    transition: TransitionKind = "cut"


def split_action(text: str) -> list[Part]:
    """The parts of an action block, line by line: direction lines become their own parts (a POV or insert
    line in capitals is a "framing"), runs of plain action lines stay together. A `TITLE OVER:` line with
    nothing after the colon takes the next line, or, when it is the last line, ends the parts with an empty
    title whose words are the next action."""
    parts: list[Part] = []
    pending_title = False
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if pending_title:
            parts.append(Part("title", _unquote(line)))
            pending_title = False
        elif _TRANSITION.match(line):
            parts.append(Part("transition", line, transition_kind(line)))
        elif title := _TITLE.match(line):
            words = (title["text"] if title["text"] is not None else title["zh"]).strip()
            if words:
                parts.append(Part("title", _unquote(words)))
            else:
                pending_title = True
        elif line.upper() == line and heading_kind(line):  # INSERT - THE LOGBOOK, ADA'S POV written as action
            parts.append(Part("framing", line))
        elif (sign := _SIGN.match(line)) or (sign := _QUOTED_CAPS.match(line)):
            words = sign["text"] if sign["text"] is not None else sign["zh"]
            parts.append(Part("sign", _unquote(words.strip())))
        elif parts and parts[-1].kind == "action":
            parts[-1] = Part("action", f"{parts[-1].text}\n{line}")
        else:
            parts.append(Part("action", line))
    if pending_title:  # the words are in the next paragraph: the planner takes them from there
        parts.append(Part("title", ""))
    return parts


def cue_kind(name: str) -> PartKind | None:
    """"title" or "sign" when a dialogue cue is really a direction (SUPER, SIGN), else None."""
    return _CUES.get(re.sub(r"\s+", " ", name.strip().rstrip(":：")).upper())


def heading_kind(text: str) -> HeadingKind | None:
    """What a heading without INT./EXT. is when it names a shot rather than a place: a POV, an insert, the
    return to the scene, or a run of titles (no place at all); None for an ordinary (forced) place heading."""
    for pattern, kind in _HEADINGS:
        if pattern.search(text.strip()):
            return kind
    return None


def _unquote(text: str) -> str:
    """The words of a card or sign without their closing full stop and surrounding quotes."""
    text = text.strip().rstrip(".。").strip()
    if len(text) >= 2 and text[0] in "\"“'‘「『" and text[-1] in "\"”'’」』":
        text = text[1:-1].strip()
    return text
