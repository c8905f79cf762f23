"""The contract between drama and any video engine: a RenderRequest in, a Clip out.

Kept free of screenplay concepts so that engines (procedural previz, the DiT, open-weight models,
remote APIs) can be developed and tested on their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

MoveKind = Literal[
    "static", "pan", "tilt", "dolly_in", "dolly_out", "truck", "follow", "crane", "zoom", "orbit", "handheld"
]
ControlKind = Literal["depth", "edges", "keypoints", "masks", "camera", "layout"]


class CameraMove(BaseModel):
    """A camera move over the whole clip; `direction` is the sign of the move along its axis.

    pan/truck/orbit: +1 = to the right, -1 = to the left; tilt/crane: +1 = up, -1 = down;
    zoom: +1 = in, -1 = out. dolly_in/dolly_out carry their sense in the kind. `strength` scales the
    amplitude (1.0 = the engine's natural amount).
    """

    model_config = ConfigDict(frozen=True)

    kind: MoveKind = "static"
    direction: Literal[-1, 1] = 1
    strength: float = Field(1.0, ge=0.0, le=3.0)


class Placement(BaseModel):
    """Where a character stands in frame: x in [0, 1] from left to right, facing, and whether they speak."""

    model_config = ConfigDict(frozen=True)

    x: float = Field(0.5, ge=0.0, le=1.0)
    facing: Literal["left", "right", "front", "away"] = "front"
    speaking: bool = False
    foreground: bool = False  # e.g. the shoulder in an over-the-shoulder shot


class CharacterRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    reference_images: tuple[Path, ...] = ()
    color: str = "#888888"  # a hex colour; used where the engine has to draw the character itself
    placement: Placement = Placement()


class SceneContext(BaseModel):
    """What an engine may know about the place: procedural engines need it, generative ones read the prompt."""

    model_config = ConfigDict(frozen=True)

    location: str = ""
    interior: bool = True
    time_of_day: Literal["day", "night", "dawn", "dusk", "morning", "evening"] = "day"
    location_image: Path | None = None
    props: tuple[str, ...] = ()  # canonical prop names in view (ball, hoop, phone, beer, car …); an insert frames the first
    extras: int = Field(0, ge=0)  # unnamed people in view besides the characters


class Control(BaseModel):
    """A control signal as a file: a video (depth, edges, keypoints, masks) or a JSON camera path."""

    model_config = ConfigDict(frozen=True)

    kind: ControlKind
    path: Path
    strength: float = Field(1.0, ge=0.0, le=2.0)


class RenderRequest(BaseModel):
    """Everything that may change the pixels of one draw. Two equal requests render identical frames."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    negative_prompt: str = ""
    width: int = Field(540, ge=16, le=8192)
    height: int = Field(960, ge=16, le=8192)
    fps: float = Field(30.0, gt=0, le=120)
    num_frames: int = Field(150, ge=1)
    seed: int = 0
    shot_size: str | None = None  # a storyboard ShotSize value: EWS, WS, FS, MS, MCU, CU, ECU, OTS
    angle: str | None = None  # eye, high, low, overhead, dutch
    camera: CameraMove = CameraMove()
    characters: tuple[CharacterRef, ...] = ()
    scene: SceneContext = SceneContext()
    first_frame: Path | None = None  # an image to continue from (image-to-video, shot continuity)
    # the frame the clip should end on (first-and-last-frame video); like every path here, its bytes are part
    # of the render cache key
    last_frame: Path | None = None
    # a video the engine works on rather than draws anew (lip-sync, extension of a long shot), and the line's audio
    # a lip-sync engine syncs the mouth to
    source_video: Path | None = None
    audio: Path | None = None
    controls: tuple[Control, ...] = ()
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)  # engine-specific knobs

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps


class CameraPose(BaseModel):
    """One frame of a camera path, in the scene's units: position, rotation in degrees, vertical field of view."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    pan: float = 0.0
    tilt: float = 0.0
    roll: float = 0.0
    fov: float = 40.0


class Clip(BaseModel):
    """An engine's result: the video file plus whatever side channels the engine knows.

    Paths point inside the `out_dir` the engine was given; the caller owns publishing them.
    """

    video: Path
    poster: Path | None = None
    width: int
    height: int
    fps: float
    num_frames: int
    depth: Path | None = None  # grayscale video, near = bright
    masks: dict[str, Path] = Field(default_factory=dict)  # character name -> grayscale mask video
    camera_path: list[CameraPose] | None = None
    meta: dict[str, str | int | float | bool] = Field(default_factory=dict)


class Still(BaseModel):
    """An image engine's result: one picture (a keyframe, a character sheet view). Its path points inside the
    `out_dir` the engine was given; the caller owns publishing it."""

    image: Path
    width: int
    height: int
    meta: dict[str, str | int | float | bool] = Field(default_factory=dict)


class Engine(ABC):
    """A video engine. Subclasses set `name` and `version`; bump `version` whenever the pixels change,
    because it is part of every render cache key."""

    name: ClassVar[str]
    version: ClassVar[str]
    # What the engine takes from a request, for `drama engines`: "text", "first_frame", "last_frame",
    # "references", "camera", "controls", "seed".
    features: ClassVar[tuple[str, ...]] = ("text", "seed")
    requires: ClassVar[str] = ""  # what a user must provide besides the install (weights, a checkpoint …)
    # What one draw occupies while it runs, in Ray's resource names: {"CPU": 1} draws in a process of its own
    # (`[render] workers`, or a task on a cluster node); {"GPU": 1} draws one at a time per GPU, in a process
    # that keeps the engine (and its loaded model) between draws.
    resources: ClassVar[dict[str, float]] = {"CPU": 1.0}
    # What a draw is: a clip ("video") or a still ("image": an ImageEngine, whose render returns a Still).
    kind: ClassVar[Literal["video", "image"]] = "video"
    # The most frames one draw makes (None: any length, e.g. an engine that extends its clips itself); a longer shot
    # is drawn in parts, each from the last frame of the one before (drama.render.extend). `[engines.NAME]
    # max_frames` overrides it.
    max_frames: ClassVar[int | None] = None

    @classmethod
    def identity(cls, request: RenderRequest) -> dict[str, str]:
        """What the request's options mean beyond their text, for the cache key: a checkpoint's content hash
        or saved step, a workflow file's bytes, a remote model's version. Engines whose options are all
        plain values (already in the key as they are) keep this empty."""
        return {}

    @abstractmethod
    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        """Render one draw into `out_dir` (which exists and is empty) and describe what was written."""


class ImageEngine(Engine):
    """An image engine: the same request (its `num_frames` ignored; `first_frame` and `controls` where the engine
    takes them: the previz layout or depth as control, the characters' reference images), one Still out. It
    draws keyframes (a still per shot, animated afterwards by image-to-video) and character sheets."""

    kind = "image"

    @abstractmethod
    def render(self, request: RenderRequest, out_dir: Path) -> Still:  # type: ignore[override]
        """Draw one still into `out_dir` (which exists and is empty) and describe what was written."""
