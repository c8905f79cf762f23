"""What the voice stage hands to the edit: one spoken line per shot (two for dual dialogue), its audio file and
word timings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Backend = Literal["edge", "offline", "kokoro", "openai", "cosyvoice", "gpt-sovits"]
SERVERS: tuple[Backend, ...] = ("openai", "cosyvoice", "gpt-sovits")  # TTS servers at [voice.server] url
CLONING: tuple[Backend, ...] = ("cosyvoice", "gpt-sovits")  # the backends that speak in a reference clip's voice
# The backends a setting tries, in order: the first that can speak a line does (a cached line of an earlier one wins).
CHAINS: dict[str, tuple[Backend, ...]] = {
    "auto": ("edge", "kokoro", "offline"), "edge": ("edge",), "offline": ("offline",), "kokoro": ("kokoro", "offline"),
    **{server: (server,) for server in SERVERS},
}
LABELS: dict[Backend, str] = {"edge": "edge-tts", "offline": "eSpeak NG", "kokoro": "Kokoro", "openai": "the openai server",
                              "cosyvoice": "CosyVoice", "gpt-sovits": "GPT-SoVITS"}

SAMPLE_RATE = 48_000  # every line's WAV: mono, 16-bit, the edit's mixing rate
DUAL_MARK = "^"  # ends the shot_id of dual dialogue's second line: `<shot id>^`, spoken over the shot's own line


def dual_id(shot_id: str) -> str:
    """The id of the line spoken over a shot's own (Fountain dual dialogue)."""
    return shot_id + DUAL_MARK


def shot_of(line_id: str) -> str:
    """The shot a voice line belongs to (the id of dual dialogue's second line is its shot's, marked ^)."""
    return line_id.removesuffix(DUAL_MARK)


class WordTiming(BaseModel):
    text: str
    start: float = Field(ge=0)  # seconds from the line's first sample
    end: float = Field(ge=0)


class VoiceLine(BaseModel):
    shot_id: str  # its shot's id; `dual_id(shot id)` for dual dialogue's second line
    speaker: str | None  # canonical cast name; None for the narrator
    text: str  # what was spoken (parentheticals removed)
    audio: Path  # WAV mono 48 kHz; the first sample is speech (leading silence trimmed)
    duration: float = Field(gt=0)
    words: list[WordTiming] = Field(default_factory=list)
    backend: Backend
    voice: str  # the edge voice name or the eSpeak voice (e.g. cmn+f3)
    timing: Literal["backend", "estimated"] = "backend"  # word times from the TTS, or spread by character count


class VoiceSpec(BaseModel):
    """Everything that decides how a line sounds, for either backend; part of the cache key."""

    model_config = ConfigDict(frozen=True)

    edge_voice: str  # zh-CN-XiaoxiaoNeural
    rate: str = "+0%"  # edge-tts prosody strings, as in cast.toml
    pitch: str = "+0Hz"
    volume: str = "+0%"
    espeak_voice: str  # cmn+f3: language + variant
    espeak_rate: int = Field(175, ge=80, le=450)  # words per minute
    espeak_pitch: int = Field(50, ge=0, le=100)
    espeak_volume: int = Field(100, ge=0, le=200)
    kokoro_voice: str = ""  # zf_xiaobei, or a blend zf_xiaobei(2)+zf_xiaoni(1)
    speed: float = Field(1.0, gt=0)  # rate as a factor, for the neural backends
    gain: float = Field(1.0, ge=0)  # volume as a factor
    server_model: str = ""  # [voice.server] model
    server_voice: str = ""  # the server's voice name (openai); for a cloning server, used when there is no reference
    ref: str = ""  # the reference clip to clone (as written in cast.toml), its sha256 and its transcript
    ref_digest: str = ""
    ref_text: str = ""

    def name(self, backend: Backend) -> str:
        if backend in CLONING and self.ref:
            return f"clone of {self.ref}"
        return {"edge": self.edge_voice, "offline": self.espeak_voice, "kokoro": self.kokoro_voice}.get(
            backend, self.server_voice)

    def key_fields(self, backend: Backend) -> dict[str, object]:
        """What decides the sound on `backend` (part of its lines' cache keys): retuning one backend's voice keeps the
        audio of the others. The reference clip counts by its bytes (ref_digest), not its name."""
        fields = {"edge": ("edge_voice", "rate", "pitch", "volume"),
                  "offline": ("espeak_voice", "espeak_rate", "espeak_pitch", "espeak_volume"),
                  "kokoro": ("kokoro_voice", "speed", "gain"),
                  "openai": ("server_model", "server_voice", "speed", "gain")}.get(
                      backend, ("server_voice", "ref_digest", "ref_text", "speed", "gain"))
        return {name: getattr(self, name) for name in fields}


class LineRequest(BaseModel):
    """A line to speak: which shot, who, what, in which voice."""

    shot_id: str  # as VoiceLine.shot_id
    speaker: str | None
    text: str
    spec: VoiceSpec
