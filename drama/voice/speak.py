"""Speaking a storyboard: pick the backend (edge-tts online, eSpeak NG offline, or "auto": edge with a
fallback), reuse cached lines, and turn each backend's audio into a trimmed 48 kHz line."""

from __future__ import annotations

import logging
import re

from rich.progress import Progress

from drama.errors import VoiceError
from drama.project.project import Project, toml_line
from drama.storyboard.model import Storyboard
from drama.voice import audio, edge
from drama.voice.cache import VoiceCache
from drama.voice.casting import spoken_lines
from drama.voice.espeak import ESpeak
from drama.voice.model import Backend, LineRequest, VoiceLine
from drama.voice.timing import estimate_words

log = logging.getLogger("drama.voice")


class Speaker:
    """One voicing run. Remembers that edge-tts failed so an offline run warns once and tries it once."""

    def __init__(self, project: Project, backend: str | None = None):
        self.project = project
        self.backend = backend or project.config.voice.backend
        self.cache = VoiceCache(project.cache_dir / "voice")
        self.edge_reachable = self.backend != "offline"
        self.synthesised = 0
        self.cached = 0

    def speak(self, storyboard: Storyboard, progress: Progress | None = None) -> list[VoiceLine]:
        requests = spoken_lines(self.project, storyboard)
        task = progress.add_task(f"voice {storyboard.episode}", total=len(requests)) if progress else None
        lines = []
        for request in requests:
            lines.append(self.line(request))
            if progress is not None and task is not None:
                progress.advance(task)
        return lines

    def line(self, request: LineRequest) -> VoiceLine:
        if self.backend != "offline":
            cached = self.cache.load("edge", request)
            if cached is not None:
                self.cached += 1
                return cached
            if self.edge_reachable:
                try:
                    return self._synthesise("edge", request)
                except edge.UnknownVoice as error:
                    raise self._unknown_voice(error.voice, request) from None
                except edge.UNREACHABLE as error:
                    self._edge_failed(error)
        cached = self.cache.load("offline", request)
        if cached is not None:
            self.cached += 1
            return cached
        return self._synthesise("offline", request)

    def _edge_failed(self, error: BaseException) -> None:
        detail = re.sub(r"\s*ssl:\S*(?: object at \S+>)?", "", str(error))  # aiohttp puts the SSL context repr in
        reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        if self.backend == "edge":
            raise VoiceError(f"edge-tts is unreachable ({reason})", path=self.project.root / "drama.toml",
                             hint='check the network, or set backend = "offline" (or "auto") under [voice]')
        self.edge_reachable = False
        log.warning("edge-tts is unreachable (%s); speaking with the offline eSpeak NG voice for this run. "
                    "Lines voiced offline are re-voiced with edge-tts once it is reachable.", reason)

    def _unknown_voice(self, voice: str, request: LineRequest) -> VoiceError:
        """The error for a voice edge-tts does not have, at the line that chose it (cast.toml or [voice] narrator)."""
        hint = "pick a voice `edge-tts --list-voices` lists, e.g. zh-CN-XiaoxiaoNeural"
        config, cast = self.project.root / "drama.toml", self.project.root / "cast.toml"
        character = self.project.cast.find(request.speaker) if request.speaker else None
        if character is not None and character.voice == voice:
            index = self.project.cast.character.index(character)
            return VoiceError(f"unknown edge-tts voice {voice!r} (the voice of {character.name!r})", path=cast,
                              line=toml_line(cast.read_text(encoding="utf-8-sig"), ("character", index, "voice")),
                              hint=hint)
        if self.project.config.voice.narrator == voice:
            return VoiceError(f"unknown edge-tts voice {voice!r} (the narrator)", path=config,
                              line=toml_line(config.read_text(encoding="utf-8-sig"), ("voice", "narrator")), hint=hint)
        who = f"`voice` of {request.speaker!r} in cast.toml" if character else "`narrator` under [voice] in drama.toml"
        return VoiceError(f"unknown edge-tts voice {voice!r}, a default that edge-tts no longer offers",
                          hint=f"set {who} to a voice `edge-tts --list-voices` lists")

    def _synthesise(self, backend: Backend, request: LineRequest) -> VoiceLine:
        if backend == "edge":
            mp3, words = edge.synthesize(request.text, request.spec)
            samples = audio.decode(mp3, ["-f", "mp3"])
        else:
            engine = ESpeak.get()
            pcm, words = engine.synthesize(request.text, request.spec)
            samples = audio.decode(pcm.astype("<i2").tobytes(), ["-f", "s16le", "-ar", str(engine.sample_rate), "-ac", "1"])
        samples, words = audio.trim(samples, words)
        duration = samples.size / audio.SAMPLE_RATE
        timing = "backend" if words else "estimated"
        if not words:
            words = estimate_words(request.text, duration)
        self.synthesised += 1
        return self.cache.store(backend, request, samples, duration, words, timing)


def speak_storyboard(project: Project, storyboard: Storyboard, progress: Progress | None = None) -> list[VoiceLine]:
    """Every spoken line of the storyboard as a WAV with word timings, in shot order (cached by content)."""
    return Speaker(project).speak(storyboard, progress)


def cached_lines(project: Project, storyboard: Storyboard) -> list[VoiceLine]:
    """The storyboard's lines the voice cache already holds, in shot order, without speaking or touching the
    network: edge-tts audio first (as `Speaker` prefers it) unless the project is offline, then eSpeak NG's.
    Lines not voiced yet are left out."""
    cache = VoiceCache(project.cache_dir / "voice")
    backends: tuple[Backend, ...] = ("offline",) if project.config.voice.backend == "offline" else ("edge", "offline")
    found = (next(filter(None, (cache.load(backend, request) for backend in backends)), None)
             for request in spoken_lines(project, storyboard))
    return [line for line in found if line is not None]
