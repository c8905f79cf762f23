"""The screenplay AST: one typed tree for Fountain and the Chinese short-drama format.

Every element keeps the 1-based source line it came from, so errors and the review page can point
at the script, and storyboard ids can be derived from content rather than position.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, Field

Style = Literal["italic", "bold", "underline"]
TimeOfDay = Literal["day", "night", "dawn", "dusk", "morning", "evening", "continuous", "unknown"]
TransitionKind = Literal["cut", "smash_cut", "match_cut", "dissolve", "fade_in", "fade_out", "fade_to_black", "dip", "other"]


class Span(BaseModel):
    """A run of text with the emphasis Fountain marks (*italic*, **bold**, _underline_)."""

    text: str
    styles: tuple[Style, ...] = ()


class _Element(BaseModel):
    line: int = Field(ge=1, description="1-based line in the source file where the element starts")
    notes: list[str] = Field(default_factory=list, description="inline [[notes]] found inside the element")


class Action(_Element):
    type: Literal["action"] = "action"
    text: str
    spans: list[Span] = Field(default_factory=list)


class Dialogue(_Element):
    type: Literal["dialogue"] = "dialogue"
    character: str  # as written in the cue, without extension; the cast resolves aliases
    extension: str | None = None  # V.O., O.S., CONT'D, OS, VO, 画外音 …
    parenthetical: str | None = None  # emotion or delivery: (whispering), （冷笑）
    text: str
    spans: list[Span] = Field(default_factory=list)
    voiceover: bool = False  # V.O., 旁白, 画外音, 内心, OS: heard, not seen speaking
    dual: bool = False  # Fountain ^: spoken at the same time as the previous dialogue


class Transition(_Element):
    type: Literal["transition"] = "transition"
    text: str
    kind: TransitionKind = "cut"
    color: str | None = None  # "#rrggbb" of a dip (BURN TO PINK., DISSOLVE TO WHITE.); None = black or none


class TitleCard(_Element):
    """Centered text (> … <) or a 【字幕：…】 card: shown on screen as text, not performed."""

    type: Literal["title_card"] = "title_card"
    text: str


class Note(_Element):
    """A standalone [[note]] or 【镜头：…】: the planner reads shot directions from it."""

    type: Literal["note"] = "note"
    text: str
    camera: bool = False  # explicitly marked as a camera direction (【镜头：…】)


class Lyrics(_Element):
    type: Literal["lyrics"] = "lyrics"
    text: str


class PageBreak(_Element):
    type: Literal["page_break"] = "page_break"


class Section(_Element):
    type: Literal["section"] = "section"
    level: int = Field(ge=1)
    text: str


class Synopsis(_Element):
    type: Literal["synopsis"] = "synopsis"
    text: str


Element = Annotated[
    Union[Action, Dialogue, Transition, TitleCard, Note, Lyrics, PageBreak, Section, Synopsis],
    Field(discriminator="type"),
]


class SceneHeading(BaseModel):
    text: str  # the heading as written
    line: int = Field(ge=1)
    setting: Literal["INT", "EXT", "INT/EXT", "EST", ""] = ""
    location: str = ""
    time: str = ""  # as written: NIGHT, 日, 黄昏 …
    time_of_day: TimeOfDay = "unknown"
    number: str | None = None  # #1A# in Fountain, 1-1 in the Chinese format

    @property
    def interior(self) -> bool:
        return self.setting in ("INT", "INT/EXT", "")


class Scene(BaseModel):
    heading: SceneHeading | None = None  # None only for material before the first heading
    characters: list[str] = Field(default_factory=list)  # 人物：甲、乙 line, when present
    elements: list[Element] = Field(default_factory=list)


class Episode(BaseModel):
    number: int | None = None
    title: str | None = None
    line: int | None = None
    scenes: list[Scene] = Field(default_factory=list)


class CharacterBio(BaseModel):
    """A 人物小传 entry (or a Fountain title-page cast line): who a character is, for the cast file."""

    name: str
    age: str | None = None
    description: str = ""
    line: int = Field(ge=1)


class Script(BaseModel):
    source: Path | None = None
    dialect: Literal["fountain", "zh"] = "fountain"
    title: str | None = None
    title_page: dict[str, str] = Field(default_factory=dict)
    synopsis: str | None = None  # 大纲
    characters: list[CharacterBio] = Field(default_factory=list)  # 人物小传
    episodes: list[Episode] = Field(default_factory=list)
