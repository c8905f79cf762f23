"""The Chinese short-drama format (竖屏短剧剧本), line by line.

    《剧名》            大纲：…            人物小传：林晚（25岁）：…
    第一集：重逢        1-1 日 外 中学操场   人物：林晚、周屿
    △ 林晚抬头。        林晚（冷笑）：你来了？  周屿（OS）：她还记得我。
    【字幕：三年后】    【镜头：推近】       切至：

Unlike Fountain each line says what it is by its first characters, so the parser classifies lines,
with a small state for the header blocks (大纲 and 人物小传 run until the next block starts).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from drama.errors import DramaError
from drama.screenplay.builder import ScriptBuilder
from drama.screenplay.episodes import NUMERAL, episode_marker, parse_numeral
from drama.screenplay.inline import extract_notes
from drama.screenplay.lines import Line
from drama.screenplay.model import (
    Action, CharacterBio, Dialogue, Element, Note, SceneHeading, Script, TitleCard, Transition,
)
from drama.screenplay.vocabulary import is_camera_direction, is_voiceover, time_of_day, transition_kind

_TIME_WORDS = ("黄昏", "清晨", "傍晚", "黎明", "早晨", "早上", "上午", "中午", "下午", "午后", "晚上", "夜晚", "深夜",
               "凌晨", "白天", "拂晓", "日出", "日落", "午夜", "半夜", "连续", "同时",
               "日", "夜", "晨", "昏", "早", "晚", "午", "DAY", "NIGHT", "DAWN", "DUSK", "MORNING", "EVENING")
_SETTING_WORDS = {"内外": "INT/EXT", "外内": "INT/EXT", "室内": "INT", "室外": "EXT", "内景": "INT", "外景": "EXT",
                  "内": "INT", "外": "EXT", "INT": "INT", "EXT": "EXT", "INT/EXT": "INT/EXT"}


def _alternatives(words) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_TIME = _alternatives(_TIME_WORDS)
_SETTING = _alternatives(_SETTING_WORDS)
_TOKEN = re.compile(
    rf"^(?:(?P<time>{_TIME})(?P<setting>{_SETTING})?|(?P<setting2>{_SETTING})(?P<time2>{_TIME})?)$", re.I
)
_TOKEN_SPLIT = re.compile(r"[\s/／、，,|｜（）()\[\]【】]+")
_HEADING = re.compile(
    rf"^(?:第\s*(?P<ordinal>{NUMERAL})\s*场|场(?:景|次)?\s*(?P<plain>\d+(?:\s*[-－—–]\s*\d+)?)"
    r"|(?P<pair>\d+\s*[-－—–.．]\s*\d+))(?![\d])\s*[：:、.．,，]?\s*(?P<rest>.*)$"
)
_SCENE_KEY = re.compile(r"^场景\s*[：:]\s*(?P<rest>.+)$")
_TITLE = re.compile(r"^(?:(?:剧名|片名|标题|剧本名?)\s*[：:]\s*)?《(?P<title>[^》]+)》\s*$|^(?:剧名|片名)\s*[：:]\s*(?P<plain>.+)$")
_SYNOPSIS = re.compile(r"^(?:故事|剧情)?(?:大纲|梗概|简介|概要)\s*[：:]?\s*(?P<text>.*)$")
_BIOS = re.compile(r"^(?:人物小传|人物介绍|人物简介|主要人物|角色介绍|人物设定|角色设定|主要角色|人物表)\s*[：:]?\s*$")
_TITLE_PAGE_KEY = re.compile(r"^(?P<key>编剧|作者|原著|导演|类型|题材|集数|时长|单集时长|字数|版本|日期|风格|标签|主演|出品)\s*[：:]\s*(?P<value>.+)$")
_BIO = re.compile(r"^(?:\d+\s*[.、．)]|[-*•·])?\s*(?P<name>[^\s：:（()）,，。、]{1,12}?)\s*(?:[（(](?P<age>[^）)]*)[）)])?\s*[：:]\s*(?P<text>.*)$")
_AGE_LEAD = re.compile(r"^(?P<age>\d{1,3}\s*岁|[一二两三四五六七八九十]{1,4}岁)[，,、。；;\s]*")
_CHARACTERS = re.compile(r"^(?:出场|登场)?(?:人物|角色)\s*[：:]\s*(?P<names>.*)$")
_NAME_SPLIT = re.compile(r"[、，,/／;；\s]+")
_ACTION = re.compile(r"^[△▲]\s*(?P<text>.*)$")
_TRANSITION = re.compile(
    r"^[【\[（(\-—\s]*(?P<word>切至|切到|切换至|切换到|切回|转场|转至|淡入|淡出|渐显|渐隐|闪回(?:结束|完)?|叠化|溶入|溶出|黑屏|渐黑|"
    r"硬切|闪切|闪[白黑红粉]|[白黑]场|(?:本集)?完|全剧终|剧终|未完待续|待续)[】\]）)\-—\s。.!！]*(?:[：:]\s*(?P<rest>.*))?$"
)
# Dips through a colour: 闪白 (a flash of white), 白场; through black (闪黑, 黑场) is the fade to black it looks like.
_DIP = re.compile(r"闪(?P<flash>[白黑红粉])|(?P<field>[白黑])场")
_DIP_COLORS = {"白": "#ffffff", "黑": "#000000", "红": "#ff0000", "粉": "#ffc0cb"}
_BRACKET = re.compile(r"^【(?P<inner>[^】]*)】\s*(?P<after>.*)$")
_KEYED = re.compile(r"^(?P<key>[^：:\s]{1,6})\s*[：:]\s*(?P<value>.*)$")
_KEY_KINDS: dict[str, Literal["title", "camera", "note"]] = {
    **dict.fromkeys(("字幕", "标题", "片名", "黑屏字幕", "屏幕字幕", "画面字幕", "字卡", "花字", "文字"), "title"),
    **dict.fromkeys(("镜头", "运镜", "机位", "分镜"), "camera"),
    **dict.fromkeys(("音效", "音乐", "BGM", "配乐", "背景音乐", "时间", "地点", "道具", "服装", "特效", "备注", "注",
                     "画面", "回忆", "提示"), "note"),
}
_DIALOGUE = re.compile(r"^(?P<name>[\w·・•.' ]{1,16}?)\s*(?:[（(](?P<mark>[^（）()]*)[）)])?\s*[：:]\s*(?P<rest>.*)$")
_GLUED_MARK = re.compile(r"^(?P<name>.*[^\x00-\x7f])\s*(?P<mark>OS|VO|V\.O\.|内心|心声|画外音)$", re.I)  # 林晚内心：
_NOT_A_NAME = re.compile(r"(?:着|了|写道|显示|写|上|里|中|是|说道)$|^\d+$")
_LEADING_PAREN = re.compile(r"^[（(](?P<paren>[^（）()]*)[）)]\s*(?P<text>.*)$", re.S)
_QUOTES = {"“": "”", "「": "」", "『": "』", '"': '"'}
_CJK = re.compile(r"[\u3400-\u9fff]")


def parse(lines: list[Line], source: Path | None = None) -> Script:
    """Parse logical lines (boneyard already removed) into a Script."""
    return _Parser(source).run(lines)


def parse_heading(text: str, line: int) -> SceneHeading | None:
    """`1-1 日 外 中学操场`, `1-1 中学操场 日/外`, `第3场 夜内 客厅`, `场景2：客厅` → SceneHeading, else None."""
    match = _HEADING.match(text)
    if match:
        number = (str(parse_numeral(match["ordinal"])) if match["ordinal"]
                  else re.sub(r"\s+", "", match["plain"] or match["pair"]).translate(_DASHES))
        rest = match["rest"]
    else:
        keyed = _SCENE_KEY.match(text)
        if not keyed:
            return None
        number, rest = None, keyed["rest"]
    times: list[str] = []
    settings: list[str] = []
    places: list[str] = []
    for token in filter(None, _TOKEN_SPLIT.split(rest)):
        parts = _TOKEN.match(token)
        if not parts:
            places.append(token)
            continue
        times += [word for word in (parts["time"], parts["time2"]) if word]
        settings += [_SETTING_WORDS[word.upper()] for word in (parts["setting"], parts["setting2"]) if word]
    if match and match["pair"] and rest.strip() and not (times or settings):
        return None  # "3-2 的比分" is action, not a heading
    setting = settings[0] if len(set(settings)) == 1 else ("INT/EXT" if settings else "")
    time = "/".join(times)
    return SceneHeading(text=text, line=line, setting=setting, location=" ".join(places), time=time,
                        time_of_day=time_of_day(time) if time else "unknown", number=number)


_DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "．": "."})


def looks_like(text: str) -> bool:
    """A line only the Chinese format would write (for dialect detection)."""
    stripped = text.strip()
    if _ACTION.match(stripped) or _BRACKET.match(stripped) or _CHARACTERS.match(stripped) or _TITLE.match(stripped):
        return True
    if episode_marker(stripped) and _CJK.search(stripped) or parse_heading(stripped, 1):
        return True
    dialogue = _DIALOGUE.match(stripped)
    return bool(dialogue and _CJK.search(dialogue["name"]) and "：" in stripped)


class _Parser:
    def __init__(self, source: Path | None) -> None:
        self.source = source
        self.builder = ScriptBuilder(source)
        self.title: str | None = None
        self.title_page: dict[str, str] = {}
        self.synopsis: list[str] = []
        self.bios: list[CharacterBio] = []
        self.block: Literal["header", "synopsis", "bios", "body"] = "header"
        self.waiting: Dialogue | None = None  # `林晚：` with the words on the next line

    def run(self, lines: list[Line]) -> Script:
        for line in lines:
            text, notes = extract_notes(line.text)
            text = text.strip()
            if not text:
                if notes:
                    self._emit(*(Note(line=line.number, text=note, camera=is_camera_direction(note)) for note in notes))
                elif self.block == "synopsis" and self.synopsis:
                    self.synopsis.append("")
                continue
            self._line(line.number, text, notes)
        self._emit()
        synopsis = "\n".join(self.synopsis).strip()
        return Script(source=self.source, dialect="zh", title=self.title, title_page=self.title_page,
                      synopsis=re.sub(r"\n{3,}", "\n\n", synopsis) or None, characters=self.bios,
                      episodes=self.builder.build())

    def _line(self, number: int, text: str, notes: list[str]) -> None:
        if self._header(number, text):
            return
        if self.block == "synopsis" and not self._structural(text):
            self.synopsis.append(text)
            return
        if self.block == "bios" and not self._structural(text):
            bio = _BIO.match(text)
            if bio and len(bio["name"]) <= 8:
                age, description = (bio["age"] or "").strip() or None, bio["text"].strip()
                if age is None and (lead := _AGE_LEAD.match(description)):  # 沈清：26岁，顾家少夫人…
                    age, description = lead["age"], description[lead.end():]
                self.bios.append(CharacterBio(name=bio["name"], age=age, description=description, line=number))
                return
            if self.bios:
                last = self.bios[-1]
                last.description = f"{last.description}\n{text}".strip()
                return
        self.block = "body"
        self._body(number, text, notes)

    def _header(self, number: int, text: str) -> bool:
        """Title, 大纲, 人物小传, title-page keys, episode markers and scene headings: the lines that switch blocks."""
        if marker := episode_marker(text):
            self._emit()
            self.builder.episode(marker.number, marker.title, number)
            self.block = "body"
            return True
        if heading := parse_heading(text, number):
            self._emit()
            self.builder.scene(heading)
            self.block = "body"
            return True
        if self.block == "body":
            return False
        if (title := _TITLE.match(text)) and self.title is None:
            self.title = (title["title"] or title["plain"]).strip()
        elif _BIOS.match(text):
            self.block = "bios"
        elif synopsis := _SYNOPSIS.match(text):
            self.block = "synopsis"
            self.synopsis.append(synopsis["text"])
        elif key := _TITLE_PAGE_KEY.match(text):
            self.title_page[key["key"]] = key["value"].strip()
        else:
            return False
        return True

    def _structural(self, text: str) -> bool:
        """Lines that end a 大纲 / 人物小传 block because they belong to the script proper."""
        return bool(_ACTION.match(text) or _BRACKET.match(text) or _CHARACTERS.match(text) or _TRANSITION.match(text))

    def _body(self, number: int, text: str, notes: list[str]) -> None:
        if characters := _CHARACTERS.match(text):
            scene = self.builder.current_scene
            names = [name for name in _NAME_SPLIT.split(characters["names"]) if name]
            scene.characters.extend(name for name in names if name not in scene.characters)
            return
        if text[0] in "：:":
            raise DramaError("a line of dialogue without a speaker", path=self.source, line=number,
                             hint="write the speaker's name before the colon, e.g. 林晚：（轻声）你来了。")
        element = self._element(number, text, notes)
        if isinstance(element, Dialogue) and not element.text:
            self._emit()
            self.waiting = element
            return
        if element is None:  # unmarked line: the words of a waiting `名字：`, else action
            if self.waiting is not None:
                self.waiting.text = _unquote(text)
                self.waiting.notes.extend(notes)
                self._emit()
                return
            element = Action(line=number, notes=notes, text=text)
        self._emit(element)

    def _element(self, number: int, text: str, notes: list[str]) -> Element | None:
        if action := _ACTION.match(text):
            return Action(line=number, notes=notes, text=action["text"])
        if transition := _TRANSITION.match(text):
            return _transition(number, notes, text, transition)
        if bracket := _BRACKET.match(text):
            return self._keyed(number, bracket["inner"].strip(), bracket["after"].strip(), notes, bracketed=True)
        keyed = _KEYED.match(text)
        if keyed and keyed["key"] in _KEY_KINDS:
            return self._keyed(number, text, "", notes, bracketed=False)
        return self._dialogue(number, text, notes)

    def _keyed(self, number: int, inner: str, after: str, notes: list[str], bracketed: bool) -> Element:
        """`【字幕：…】` → TitleCard, `【镜头：…】` → camera Note, `【闪回】` → Transition, other 【…】 → Note."""
        keyed = _KEYED.match(inner)
        key, value = (keyed["key"], keyed["value"]) if keyed else (inner, "")
        value = " ".join(part for part in (value.strip(), after) if part)
        kind = _KEY_KINDS.get(key)
        if kind == "title":
            return TitleCard(line=number, notes=notes, text=value)
        if kind == "camera":
            return Note(line=number, notes=notes, text=value, camera=True)
        if bracketed and (transition := _TRANSITION.match(inner)):
            return _transition(number, notes, inner, transition)
        text = " ".join(part for part in (inner, after) if part)
        return Note(line=number, notes=notes, text=text, camera=is_camera_direction(inner))

    def _dialogue(self, number: int, text: str, notes: list[str]) -> Dialogue | None:
        """`名字（OS，冷笑）：（低声）“台词”`. The name must be short and plain, so a sentence with a
        colon in it stays action."""
        match = _DIALOGUE.match(text)
        if not match:
            return None
        name = match["name"].strip()
        marks = [part for part in _NAME_SPLIT.split(match["mark"] or "") if part]
        if glued := _GLUED_MARK.match(name):
            name, marks = glued["name"].strip(), [glued["mark"], *marks]
        if not name or len(name) > (8 if _CJK.search(name) else 16) or _NOT_A_NAME.search(name):
            return None
        extensions = [mark for mark in marks if is_voiceover(mark)]
        deliveries = [mark for mark in marks if not is_voiceover(mark)]
        rest = match["rest"].strip()
        if paren := _LEADING_PAREN.match(rest):
            deliveries.append(paren["paren"].strip())
            rest = paren["text"].strip()
        if is_voiceover(name):
            extensions.insert(0, name)
        return Dialogue(line=number, notes=notes, character=name, extension="，".join(extensions) or None,
                            parenthetical="，".join(part for part in deliveries if part) or None,
                            text=_unquote(rest), voiceover=bool(extensions))

    def _emit(self, *elements: Element) -> None:
        """Add elements, first flushing a `名字：` whose words never came (a wordless reaction)."""
        if self.waiting is not None:
            waiting, self.waiting = self.waiting, None
            self.builder.add(waiting)
        if elements:
            self.builder.add(*elements)


def _transition(number: int, notes: list[str], text: str, match: re.Match[str]) -> Transition:
    """The kind from the transition word, or for a bare 转场 from what follows it (转场：叠化, 转场：闪白)."""
    said = match["rest"] if match["word"] == "转场" and match["rest"] else match["word"]
    if dip := _DIP.search(said):
        color = _DIP_COLORS[dip["flash"] or dip["field"]]
        if color != "#000000":
            return Transition(line=number, notes=notes, text=text, kind="dip", color=color)
        return Transition(line=number, notes=notes, text=text, kind="fade_to_black")
    return Transition(line=number, notes=notes, text=text, kind=transition_kind(said))


def _unquote(text: str) -> str:
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text
