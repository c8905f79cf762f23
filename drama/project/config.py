"""The two files a creator writes besides the screenplay: drama.toml (the series) and cast.toml (who is in it)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError


# The voice settings as edge-tts accepts them (edge_tts.data_classes.TTSConfig), so both backends read the same strings.
EDGE_VOICE = re.compile(r"[a-z]{2,3}-[A-Z]{2,}(?:-[a-z]+)?-[A-Za-z]+Neural")
# setting: (unit, example, lowest, highest). Microsoft's neural voices change rate within half to double speed and
# pitch within about half to one and a half times the voice's own (some 100 Hz either way).
PROSODY = {"rate": ("%", "+10% or -5%", -50, 100), "volume": ("%", "+0% or -20%", -100, 100),
           "pitch": ("Hz", "+0Hz or -8Hz", -100, 100)}


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("voice_setting", message)


def edge_voice(value: str) -> str:
    """An edge-tts voice name, checked for shape (which voices exist only the service knows)."""
    if not EDGE_VOICE.fullmatch(value):
        raise _invalid(f"{value!r} is not an edge-tts voice name: write it like zh-CN-XiaoxiaoNeural or "
                       "en-US-GuyNeural (`edge-tts --list-voices` lists them)")
    return value


def option_type(model: type[BaseModel], name: str) -> Callable[[str], Any]:
    """An argparse `type=` for a command-line option that stands in for a setting of drama.toml: the same type and
    the same limits, so `--draws 1000000` is refused as `draws = 1000000` would be."""
    field = model.model_fields[name]
    adapter = TypeAdapter(Annotated[field.annotation, *field.metadata])

    def convert(text: str) -> Any:
        try:
            return adapter.validate_python(text)
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            raise argparse.ArgumentTypeError(f"{text!r}: {reason[0].lower()}{reason[1:]} "
                                             f"(`{name}` in drama.toml takes the same values)") from None
    return convert


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
    # Money for paid engines, in `currency`: no new task is submitted once it would take the episode's (or the
    # shot's) spend past its budget. Spend counts billed tasks and tasks still running.
    currency: str = "USD"
    budget: float | None = Field(None, ge=0, description="per episode")
    shot_budget: float | None = Field(None, ge=0, description="per shot")
    stop_at_score: float | None = Field(None, ge=0, le=1, description="stop drawing a shot once a draw scores this")
    # Processes drawing at once on this machine (engines that need a CPU, not a GPU); unset: one per core.
    workers: int | None = Field(None, ge=1, le=256, description="processes drawing at once (default: one per core)")
    # A Ray cluster to draw on instead: "auto" (RAY_ADDRESS, or the cluster started on this machine),
    # "HOST:PORT" of a head node, or "ray://HOST:10001" through Ray Client. docs/cluster.md.
    cluster: str | None = None
    # Two-stage drawing (docs/keyframes.md): an image engine draws `keyframe_draws` stills of every shot first
    # (default: as many as `draws`) and the video draws start from the picked one; "" draws video from text alone.
    keyframes: str = ""
    keyframe_draws: int | None = Field(None, ge=1, le=100)
    # "chain": a shot that continues the one before it (same scene and set, same camera side, no cutaway between)
    # starts from the last frame of that shot's picked draw.
    continuity: Literal["none", "chain"] = "none"
    # Scenes (as numbered in the screenplay: "1-3", "12A") whose every shot continues the one before, whatever the
    # rule says: the creator's call for a scene shot as one continuous action.
    chain_scenes: list[str] = Field(default_factory=list)


# [engines.NAME] keys that steer the scheduler and the ledger; every other key is an engine option that can
# change the pixels (model, mode, workflow …) and so is part of the render cache key.
SCHEDULER_KEYS = frozenset({"concurrency", "timeout", "poll_interval"})


def is_money_key(key: str) -> bool:
    return key.startswith("price")


class EngineSettings(BaseModel):
    """One `[engines.NAME]` table: how many tasks may be in flight, when a task counts as stuck, how often to
    poll, prices (`price_per_task`, `price_per_second`, or the engine's own `price_*` unit), and engine options."""

    model_config = ConfigDict(extra="allow")

    concurrency: int = Field(2, ge=1, le=64)
    timeout: float | None = Field(None, gt=0, description="seconds before a task counts as stuck")
    poll_interval: float | None = Field(None, gt=0, le=600)

    @model_validator(mode="after")
    def _plain_options(self) -> "EngineSettings":
        for key, value in (self.model_extra or {}).items():
            if not isinstance(value, (str, int, float, bool)):
                raise ValueError(f"{key} = {value!r}: an engine option is a text, a number or true/false")
        return self

    @property
    def options(self) -> dict[str, str | int | float | bool]:
        """Everything that is not a scheduler setting: what the engine's constructor receives."""
        extra = dict(self.model_extra or {})
        extra.update({k: getattr(self, k) for k in ("timeout", "poll_interval") if getattr(self, k) is not None})
        return extra

    @property
    def pixel_options(self) -> dict[str, str | int | float | bool]:
        """The options that can change what is drawn (prices and scheduling do not)."""
        return {k: v for k, v in self.options.items() if k not in SCHEDULER_KEYS and not is_money_key(k)}


# A Kokoro voice or a blend of voice packs: af_heart, zf_xiaobei+zf_xiaoni, zf_xiaobei(2)+zf_xiaoni(1).
KOKORO_VOICE = re.compile(r"[a-z]{2}_[a-z0-9]+(?:\(\d+(?:\.\d+)?\))?(?:\+[a-z]{2}_[a-z0-9]+(?:\(\d+(?:\.\d+)?\))?)*")


def kokoro_blend(value: str) -> str:
    if not KOKORO_VOICE.fullmatch(value):
        raise _invalid(f"{value!r} is not a Kokoro voice: write a voice pack like zf_xiaobei or af_heart, or a blend "
                       "like zf_xiaobei+zf_xiaoni or zf_xiaobei(2)+zf_xiaoni(1)")
    return value


class ServerConfig(_Strict):
    """`[voice.server]`: the TTS server of the openai, cosyvoice and gpt-sovits backends."""

    url: str = Field(pattern=r"^https?://\S+$")  # http://127.0.0.1:8880 (no /v1: drama adds each backend's path)
    model: str = "tts-1"  # openai: the `model` field (Kokoro-FastAPI: kokoro)
    narrator_voice: str | None = None  # the server's voice for the narrator (openai: a voice name)
    key_env: str = Field("", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$|^$")  # the environment variable holding a key, if any
    response_format: Literal["wav", "mp3", "flac", "opus", "aac", "pcm"] = "wav"  # openai
    timeout: float = Field(120.0, gt=0, le=3600)  # seconds for one line
    sample_rate: int = Field(24000, ge=8000, le=96000)  # cosyvoice: its raw PCM's rate (CosyVoice 1: 22050)
    ref_root: str | None = None  # gpt-sovits: where the server sees the project folder (default: this machine's path)


class VoiceConfig(_Strict):
    backend: Literal["auto", "edge", "offline", "kokoro", "openai", "cosyvoice", "gpt-sovits"] = "auto"
    narrator: str | None = None  # voice for 旁白 / V.O. without a cast entry, and title cards if narrated
    narrate_title_cards: bool = False
    kokoro_dir: str | None = None  # the Kokoro-82M ONNX model and voice packs ($DRAMA_KOKORO_DIR wins)
    kokoro_narrator: str | None = None  # the narrator's Kokoro voice (default: by the project's language)
    server: ServerConfig | None = None

    _edge_voice = field_validator("narrator")(edge_voice)
    _kokoro_voice = field_validator("kokoro_narrator")(kokoro_blend)


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
    engines: dict[str, EngineSettings] = Field(default_factory=dict)  # [engines.kling], [engines.comfyui] …
    voice: VoiceConfig = VoiceConfig()
    edit: EditConfig = EditConfig()

    def engine_settings(self, name: str) -> EngineSettings:
        return self.engines.get(name) or EngineSettings()


class Character(_Strict):
    name: str = Field(pattern=r"\S")  # not empty, not only spaces
    aliases: list[Annotated[str, Field(pattern=r"\S")]] = Field(default_factory=list)
    description: str = ""  # appearance, for prompts
    sex: Literal["female", "male"] | None = None  # drives pronouns (她/he), the previz figure and the default voice
    age: Literal["child", "teen", "young", "middle", "old"] | None = None  # the same, for age
    references: list[str] = Field(default_factory=list)  # image paths relative to the project
    voice: str | None = None  # an edge-tts voice, e.g. zh-CN-XiaoxiaoNeural
    offline_voice: str | None = None  # an eSpeak NG voice, e.g. cmn, en-us
    kokoro_voice: str | None = None  # a Kokoro voice or blend, e.g. zf_xiaobei, zf_xiaobei(2)+zf_xiaoni(1)
    server_voice: str | None = Field(None, pattern=r"\S")  # the voice on a TTS server ([voice.server])
    voice_ref: str | None = Field(None, pattern=r"\S")  # a reference clip to clone, relative to the project
    voice_ref_text: str | None = Field(None, pattern=r"\S")  # what is said in it
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

    _edge_voice = field_validator("voice")(edge_voice)
    _kokoro_voice = field_validator("kokoro_voice")(kokoro_blend)

    @field_validator("rate", "pitch", "volume")
    @classmethod
    def _prosody(cls, value: str, info: ValidationInfo) -> str:
        unit, example, low, high = PROSODY[info.field_name]
        found = re.fullmatch(rf"[+-](\d+){unit}", value)
        if not found:
            raise _invalid(f"{value!r} is not a {info.field_name}: write a sign, a whole number and the unit, "
                           f"like {example}")
        if not low <= int(value[0] + found.group(1)) <= high:
            raise _invalid(f"{info.field_name} {value} is out of range: it goes from {low:+d}{unit} to {high:+d}{unit}")
        return value

    @field_validator("offline_voice")
    @classmethod
    def _espeak_voice(cls, value: str) -> str:
        from drama.voice.espeak import voice_problem  # the eSpeak NG data, read only when a cast names a voice

        problem = voice_problem(value)
        if problem:
            raise _invalid(problem)
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
