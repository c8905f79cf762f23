"""The storyboard: what each shot shows, for how long, and the prompt that asks an engine for it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from drama.screenplay.model import Span, TimeOfDay, TransitionKind
from drama.storyboard.vocabulary import Angle, Move, ShotSize

ShotKind = Literal["establishing", "dialogue", "reaction", "action", "insert", "title_card"]


class ShotCharacter(BaseModel):
    """A character on screen: who, from which reference images, and where they stand."""

    name: str  # the cast's canonical name
    reference_images: list[Path] = Field(default_factory=list)  # absolute paths
    x: float = Field(0.5, ge=0.0, le=1.0)  # horizontal position in frame, 0 = left edge
    facing: Literal["left", "right", "front", "away"] = "front"
    speaking: bool = False
    foreground: bool = False  # the near shoulder of an over-the-shoulder shot


class DualLine(BaseModel):
    """The second line of Fountain dual dialogue (^): spoken at the same time as the shot's own line."""

    speaker: str  # canonical cast name
    text: str
    parenthetical: str | None = None
    spans: list[Span] = Field(default_factory=list)


class Shot(BaseModel):
    id: str  # stable: derived from the content it shows, not its position (see storyboard.ids)
    index: int = Field(ge=0)  # order in the episode
    kind: ShotKind
    scene: str  # scene number as written (1-1, 12A) or its ordinal
    scene_heading: str = ""
    location: str = ""
    interior: bool = True
    time_of_day: TimeOfDay = "unknown"
    size: ShotSize
    angle: Angle = Angle.EYE
    move: Move = Move.STATIC
    move_direction: Literal[-1, 1] = 1  # see engine.api.CameraMove
    move_strength: float = Field(1.0, ge=0.0, le=3.0)
    duration: float = Field(gt=0)  # seconds; reading-speed estimate until voices exist
    characters: list[ShotCharacter] = Field(default_factory=list)
    speaker: str | None = None  # canonical cast name of who speaks in this shot
    text: str | None = None  # the line spoken (dialogue) or shown (title card)
    spans: list[Span] = Field(default_factory=list)  # emphasis in `text` (*italic*, _underline_), empty when none
    parenthetical: str | None = None
    dual: DualLine | None = None  # Fountain dual dialogue: a second line spoken over this one
    voiceover: bool = False
    action: str | None = None  # the action this shot shows
    props: list[str] = Field(default_factory=list)  # canonical prop names the shot shows (storyboard.vocabulary)
    extras: int = Field(0, ge=0)  # unnamed people on screen besides `characters` (a crowd, 几个男同学)
    notes: list[str] = Field(default_factory=list)  # why the planner chose this blocking, for the review card
    prompt: str = ""
    negative_prompt: str = ""
    transition_in: TransitionKind = "cut"
    # Whether the shot's video starts from the last frame of the shot before (drama.render.continuity): "auto" by
    # the project's rule, "chain" always (the creator's call, per shot or per scene), "cut" never.
    continuity: Literal["auto", "chain", "cut"] = "auto"
    transition_color: str | None = None  # "#rrggbb" when transition_in is a dip to a colour
    source_file: Path | None = None
    source_lines: list[int] = Field(default_factory=list)
    direction: str | None = None  # the explicit script direction that overrode the rules, if any


class Storyboard(BaseModel):
    project: str
    episode: str  # episode id, e.g. "ep01"
    title: str | None = None
    width: int
    height: int
    fps: float
    shots: list[Shot] = Field(default_factory=list)

    @property
    def duration(self) -> float:
        return sum(shot.duration for shot in self.shots)

    def shot(self, shot_id: str) -> Shot:
        for shot in self.shots:
            if shot.id == shot_id:
                return shot
        raise KeyError(shot_id)
