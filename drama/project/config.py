"""The two files a creator writes besides the screenplay: drama.toml (the series) and cast.toml (who is in it)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    """Unknown keys are errors, so a typo in a TOML file is caught instead of silently ignored."""

    model_config = ConfigDict(extra="forbid")


class VideoConfig(_Strict):
    aspect: str = "9:16"
    width: int = Field(1080, ge=64, le=7680)
    height: int = Field(1920, ge=64, le=7680)
    fps: float = Field(30.0, gt=0, le=120)
    draft_scale: float = Field(0.5, gt=0, le=1.0, description="candidates render at this fraction of the export size")

    @field_validator("width", "height")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even (H.264 yuv420p needs even sizes)")
        return value


class RenderConfig(_Strict):
    engine: str = "previz"
    draws: int = Field(3, ge=1, le=100)
    engine_options: dict[str, str | int | float | bool] = Field(default_factory=dict)
    # "previz": a generative engine follows the shot's previz draw (its depth and layout as control videos).
    control: Literal["none", "previz"] = "none"
    control_strength: float = Field(1.0, ge=0.0, le=2.0)


class VoiceConfig(_Strict):
    backend: Literal["auto", "edge", "offline"] = "auto"
    narrator: str | None = None  # voice for 旁白 / V.O. without a cast entry, and title cards if narrated
    narrate_title_cards: bool = False


class EditConfig(_Strict):
    music: str | None = None  # a file under music/; the first file there when unset
    music_gain_db: float = -16.0
    loudness_lufs: float = -14.0
    true_peak_db: float = -1.0
    burn_subtitles: bool = True


class DramaConfig(_Strict):
    title: str
    language: Literal["zh", "en"] = "zh"
    style: str = "cinematic"  # a preset in templates/styles/
    video: VideoConfig = VideoConfig()
    render: RenderConfig = RenderConfig()
    voice: VoiceConfig = VoiceConfig()
    edit: EditConfig = EditConfig()


class Character(_Strict):
    name: str
    aliases: list[str] = Field(default_factory=list)
    description: str = ""  # appearance, for prompts
    references: list[str] = Field(default_factory=list)  # image paths relative to the project
    voice: str | None = None  # an edge-tts voice, e.g. zh-CN-XiaoxiaoNeural
    offline_voice: str | None = None  # an eSpeak NG voice, e.g. cmn, en-us
    rate: str = "+0%"
    pitch: str = "+0Hz"
    volume: str = "+0%"
    color: str = "#888888"

    @field_validator("color")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("must be a hex colour like #c0392b")
        return value

    @property
    def all_names(self) -> list[str]:
        return [self.name, *self.aliases]


class Cast(_Strict):
    character: list[Character] = Field(default_factory=list)  # [[character]] tables in cast.toml

    def find(self, name: str) -> Character | None:
        """The character a cue refers to, by name or alias (case-insensitive for Latin names)."""
        wanted = name.strip().casefold()
        for character in self.character:
            if any(candidate.casefold() == wanted for candidate in character.all_names):
                return character
        return None
