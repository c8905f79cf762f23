"""Speaking a storyboard: pick the backend (edge-tts online, Kokoro or eSpeak NG offline, a TTS server, or "auto":
edge, then Kokoro when its model is there, then eSpeak NG), reuse cached lines, and turn each backend's audio into a
trimmed 48 kHz line."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection

from rich.progress import Progress

from drama.errors import VoiceError
from drama.project.project import Project, toml_line
from drama.storyboard.model import Storyboard
from drama.voice import audio, edge, kokoro, servers
from drama.voice.cache import VoiceCache
from drama.voice.casting import spoken_lines
from drama.voice.espeak import ESpeak
from drama.voice.lock import drifts, locked, locked_chain, read_locks
from drama.voice.model import CHAINS, LABELS, SERVERS, Backend, LineRequest, VoiceLine
from drama.voice.timing import estimate_words

log = logging.getLogger("drama.voice")

# The cast.toml key and the [voice] key that choose each backend's voice, for "unknown voice" errors.
VOICE_KEYS = {"edge": ("voice", ("voice", "narrator")), "kokoro": ("kokoro_voice", ("voice", "kokoro_narrator")),
              **{server: ("server_voice", ("voice", "server", "narrator_voice")) for server in SERVERS}}


class Speaker:
    """One voicing run. Remembers the backends that cannot speak (edge-tts unreachable, no Kokoro model) so a run
    warns once and tries each once. Characters with a locked voice (drama.voice.lock) are spoken in it, with a warning
    for each setting that would change it; the characters in `recast` are spoken as the settings say now."""

    def __init__(self, project: Project, backend: str | None = None, recast: Collection[str] = ()):
        self.project = project
        self.backend = backend or project.config.voice.backend
        self.chain = CHAINS[self.backend]
        self.locks = {name: held for name, held in read_locks(project).items() if name not in recast}
        for warning in drifts(project, self.locks, self.backend, flag=self.backend != project.config.voice.backend):
            log.warning(warning)
        self.cache = VoiceCache(project.cache_dir / "voice")
        self.kokoro_folder = kokoro.model_folder(project.root, project.config.voice.kokoro_dir)
        self.down: set[Backend] = set()
        kokoro_locked = any(held.backend == "kokoro" for held in self.locks.values())
        if "kokoro" in self.chain or any("kokoro" in locked_chain(held.backend, self.chain) for held in self.locks.values()):
            problem = kokoro.missing(self.kokoro_folder)
            if problem:
                self.down.add("kokoro")
                if self.backend == "kokoro" or kokoro_locked:
                    log.warning("%s. Speaking with the offline eSpeak NG voice for this run.", problem)
        self.stood_in: set[str] = set()  # locked characters a fallback spoke for in this run (warned once each)
        self.synthesised = 0
        self.cached = 0

    def speak(self, storyboard: Storyboard, progress: Progress | None = None) -> list[VoiceLine]:
        requests = spoken_lines(self.project, storyboard)
        task = progress.add_task(f"voice {storyboard.episode}", total=len(requests)) if progress else None
        lines = []
        for request in requests:
            request, chain = locked(self.locks, request, self.chain)
            lines.append(self.line(request, chain))
            self._stood_in(lines[-1])
            if progress is not None and task is not None:
                progress.advance(task)
        return lines

    def _stood_in(self, line: VoiceLine) -> None:
        """Warn (once per character) when a fallback spoke a locked character's line."""
        held = self.locks.get(line.speaker or "")
        if held is None or line.backend == held.backend or line.speaker in self.stood_in:
            return
        self.stood_in.add(line.speaker or "")
        log.warning("%s's voice is locked to %s, which cannot speak in this run: %s stands in for it, for drafting "
                    "only; an episode with these lines is not exported until %s speaks them.", line.speaker, held.voice,
                    LABELS[line.backend], LABELS[held.backend])

    def line(self, request: LineRequest, chain: tuple[Backend, ...] | None = None) -> VoiceLine:
        for backend in chain or self.chain:
            cached = self.cache.load(backend, request)
            if cached is not None:
                self.cached += 1
                return cached
            if backend in self.down:
                continue
            try:
                return self._synthesise(backend, request)
            except (edge.UnknownVoice, kokoro.UnknownVoice, servers.UnknownVoice) as error:
                raise self._unknown_voice(backend, error, request) from None
            except edge.UNREACHABLE as error:
                if backend != "edge":
                    raise
                self._edge_failed(error)
        raise AssertionError("the last backend of every chain always speaks or raises")

    def _edge_failed(self, error: BaseException) -> None:
        detail = re.sub(r"\s*ssl:\S*(?: object at \S+>)?", "", str(error))  # aiohttp puts the SSL context repr in
        reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        if self.backend == "edge":
            raise VoiceError(f"edge-tts is unreachable ({reason})", path=self.project.root / "drama.toml",
                             hint='check the network, or set backend = "offline" (or "auto") under [voice]')
        self.down.add("edge")
        fallback = "Kokoro" if "kokoro" not in self.down else "eSpeak NG"
        log.warning("edge-tts is unreachable (%s); speaking with the offline %s voice for this run. "
                    "Lines voiced offline are re-voiced with edge-tts once it is reachable.", reason, fallback)

    def _unknown_voice(self, backend: Backend, error: Exception, request: LineRequest) -> VoiceError:
        """The error for a voice the backend does not have, at the line that chose it (cast.toml, or the narrator's
        key in drama.toml)."""
        voice = getattr(error, "voice", "")
        hint = {"edge": "pick a voice `edge-tts --list-voices` lists, e.g. zh-CN-XiaoxiaoNeural",
                "kokoro": "pick a voice pack of the Kokoro model folder, or a blend of them (a+b)"}.get(
                    backend, f"pick a voice the {backend} server has")
        what = f"unknown edge-tts voice {voice!r}" if backend == "edge" else str(error)
        config, cast = self.project.root / "drama.toml", self.project.root / "cast.toml"
        cast_key, narrator_key = VOICE_KEYS[backend]
        narrator_set = {"edge": self.project.config.voice.narrator, "kokoro": self.project.config.voice.kokoro_narrator}.get(
            backend, self.project.config.voice.server.narrator_voice if self.project.config.voice.server else None)
        character = self.project.cast.find(request.speaker) if request.speaker else None
        if character is not None and getattr(character, cast_key):
            index = self.project.cast.character.index(character)
            return VoiceError(f"{what} (the voice of {character.name!r})", path=cast,
                              line=toml_line(cast.read_text(encoding="utf-8-sig"), ("character", index, cast_key)),
                              hint=hint)
        if character is None and narrator_set:
            return VoiceError(f"{what} (the narrator)", path=config,
                              line=toml_line(config.read_text(encoding="utf-8-sig"), narrator_key), hint=hint)
        who = (f"`{cast_key}` of {request.speaker!r} in cast.toml" if character else
               f"`{narrator_key[-1]}` under [{'.'.join(narrator_key[:-1])}] in drama.toml")
        offers = "edge-tts no longer offers" if backend == "edge" else f"the {backend} backend does not have"
        return VoiceError(f"{what}, a default that {offers}", hint=f"set {who}; {hint}")

    def _synthesise(self, backend: Backend, request: LineRequest) -> VoiceLine:
        if backend == "edge":
            mp3, words = edge.synthesize(request.text, request.spec)
            samples = audio.decode(mp3, ["-f", "mp3"])
        elif backend == "kokoro":
            assert self.kokoro_folder is not None
            model = kokoro.Kokoro.get(self.kokoro_folder)
            wave, words = model.synthesize(request.text, request.spec.kokoro_voice, self.project.config.language,
                                           request.spec.speed)
            pcm = (wave * request.spec.gain).clip(-1, 1) * 32767
            samples = audio.decode(pcm.astype("<i2").tobytes(), ["-f", "s16le", "-ar", str(kokoro.SAMPLE_RATE), "-ac", "1"])
        elif backend in SERVERS:
            data, input_args = servers.synthesize(backend, self.project, request)
            samples = audio.decode(data, input_args)
            words = []
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
    network: in the order `Speaker` prefers the backends (edge-tts, Kokoro, eSpeak NG for "auto").
    Lines not voiced yet are left out."""
    cache = VoiceCache(project.cache_dir / "voice")
    locks, configured = read_locks(project), CHAINS[project.config.voice.backend]
    found = (next(filter(None, (cache.load(backend, request) for backend in chain)), None)
             for request, chain in (locked(locks, request, configured) for request in spoken_lines(project, storyboard)))
    return [line for line in found if line is not None]
