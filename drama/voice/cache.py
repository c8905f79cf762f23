"""Content-addressed line audio: the key hashes backend, voice parameters and text, so an unchanged
line is never synthesised twice and an edited one is. Entries are a WAV and a JSON sidecar, each
written atomically; the sidecar is written last and marks the entry complete."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from drama import atomic
from drama.voice.audio import write_wav
from drama.voice.model import Backend, LineRequest, VoiceLine, WordTiming

VERSION = 1  # bump when the audio processing changes, to re-synthesise every line


def line_key(backend: Backend, request: LineRequest) -> str:
    """Only the parameters the backend uses: retuning the offline voice keeps the edge audio, and back."""
    fields = {k: v for k, v in request.spec.model_dump().items() if k.startswith("espeak_") == (backend == "offline")}
    payload = json.dumps({"v": VERSION, "backend": backend, "voice": fields, "text": request.text},
                         ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


class VoiceCache:
    def __init__(self, folder: Path):
        self.folder = folder

    def load(self, backend: Backend, request: LineRequest) -> VoiceLine | None:
        key = line_key(backend, request)
        sidecar, audio = self.folder / f"{key}.json", self.folder / f"{key}.wav"
        if not (sidecar.is_file() and audio.is_file()):
            return None
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # unreadable entry: synthesise again and overwrite it
        return VoiceLine(shot_id=request.shot_id, speaker=request.speaker, text=request.text, audio=audio,
                         duration=data["duration"], words=[WordTiming(**w) for w in data["words"]],
                         backend=backend, voice=request.spec.name(backend), timing=data["timing"])

    def store(self, backend: Backend, request: LineRequest, samples: np.ndarray, duration: float,
              words: list[WordTiming], timing: str) -> VoiceLine:
        key = line_key(backend, request)
        write_wav(self.folder / f"{key}.wav", samples)
        atomic.write_json(self.folder / f"{key}.json", {
            "duration": duration, "words": [w.model_dump() for w in words], "timing": timing,
            "backend": backend, "voice": request.spec.name(backend), "text": request.text})
        line = self.load(backend, request)
        assert line is not None
        return line
