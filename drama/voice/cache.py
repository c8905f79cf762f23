"""Content-addressed line audio: the key hashes backend, voice parameters and text, so an unchanged
line is never synthesised twice and an edited one is. Entries are a WAV and a JSON sidecar, each
written atomically; the sidecar is written last and marks the entry complete.

Writers hold the cache's lock shared while they write, so the temporary files of a writer that was killed are
swept (`sweep`) only when no writer, in any process, is writing."""

from __future__ import annotations

import fcntl
import hashlib
import json
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from drama import atomic
from drama.errors import VoiceError, os_fault
from drama.voice.audio import write_wav
from drama.voice.model import Backend, LineRequest, VoiceLine, WordTiming

VERSION = 1  # bump when the audio processing changes, to re-synthesise every line


def line_key(backend: Backend, request: LineRequest) -> str:
    """Only the parameters the backend uses: retuning the offline voice keeps the edge audio, and back."""
    payload = json.dumps({"v": VERSION, "backend": backend, "voice": request.spec.key_fields(backend), "text": request.text},
                         ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


def _intact(audio: Path, duration: object) -> bool:
    """Whether a cached WAV is whole: its header reads, it lasts what the sidecar says, and its samples are all there."""
    try:
        with wave.open(str(audio), "rb") as wav:
            frames, rate, width = wav.getnframes(), wav.getframerate(), wav.getsampwidth() * wav.getnchannels()
        size = audio.stat().st_size
    except (OSError, EOFError, wave.Error):
        return False
    return (isinstance(duration, (int, float)) and rate > 0 and abs(frames / rate - duration) < 0.05
            and size >= frames * width)


class VoiceCache:
    def __init__(self, folder: Path):
        self.folder = folder
        self.lock = folder / ".lock"

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the cache's lock shared (many writers at once; a sweep waits for none of them) while writing into it;
        a full or read-only disk is said as such, naming the cache."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.lock, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_SH)
                yield
        except OSError as error:
            raise (os_fault(error, path=self.folder, kind=VoiceError, doing="write the voice cache") or error) from None

    def sweep(self) -> None:
        """Delete what killed writers left (`.<key>.wav.*.tmp`, `.<key>.json.*.tmp`) unless a writer is writing
        now (then a later sweep does). A cache that is not there or cannot be written is left as it is."""
        try:
            handle = open(self.lock, "a")
        except OSError:
            return
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            for leftover in self.folder.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)

    def load(self, backend: Backend, request: LineRequest) -> VoiceLine | None:
        key = line_key(backend, request)
        sidecar, audio = self.folder / f"{key}.json", self.folder / f"{key}.wav"
        if not (sidecar.is_file() and audio.is_file()):
            return None
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # unreadable entry: synthesise again and overwrite it
        if not _intact(audio, data.get("duration")):
            return None  # a damaged WAV (truncated, overwritten): synthesised again and overwritten
        return VoiceLine(shot_id=request.shot_id, speaker=request.speaker, text=request.text, audio=audio,
                         duration=data["duration"], words=[WordTiming(**w) for w in data["words"]],
                         backend=backend, voice=request.spec.name(backend), timing=data["timing"])

    def store(self, backend: Backend, request: LineRequest, samples: np.ndarray, duration: float,
              words: list[WordTiming], timing: str) -> VoiceLine:
        key = line_key(backend, request)
        with self._writing():
            write_wav(self.folder / f"{key}.wav", samples)
            atomic.write_json(self.folder / f"{key}.json", {
                "duration": duration, "words": [w.model_dump() for w in words], "timing": timing,
                "backend": backend, "voice": request.spec.name(backend), "text": request.text})
        line = self.load(backend, request)
        assert line is not None
        return line
