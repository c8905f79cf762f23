"""The offline voice: eSpeak NG from the `espeakng-loader` wheel (library and voice data inside it), via ctypes.

API (speak_lib.h): espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, buflength, data path, options) returns the
sample rate (22050); espeak_Synth runs to completion, calling the synth callback with PCM chunks and event
lists. WORD events carry the 1-based character position of the word and its time in ms, which become our
word timings (a word runs to the next event: the next word or a clause end).
"""

from __future__ import annotations

import ctypes
import threading
from functools import cache
from pathlib import Path

import espeakng_loader
import numpy as np

from drama.errors import VoiceError, did_you_mean
from drama.voice.model import VoiceSpec, WordTiming

AUDIO_OUTPUT_SYNCHRONOUS = 0x02
INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of exiting the process
POS_CHARACTER = 1
CHARS_UTF8 = 0x01
ENDPAUSE = 0x1000
EVENT_LIST_TERMINATED, EVENT_WORD, EVENT_SENTENCE, EVENT_END, EVENT_MSG_TERMINATED = 0, 1, 2, 5, 6
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH = 1, 2, 3


@cache
def _voices() -> tuple[frozenset[str], frozenset[str]]:
    """The names espeak_SetVoiceByName accepts (a language file's name, or its path under lang/, any case) and the
    variants one may add after '+' (the files of voices/!v), read from the data the wheel ships."""
    data = Path(espeakng_loader.get_data_path())
    files = [path.relative_to(data / "lang").as_posix() for path in (data / "lang").rglob("*") if path.is_file()]
    names = frozenset(name.casefold() for path in files for name in (path, path.rsplit("/", 1)[-1]))
    return names, frozenset(path.name for path in (data / "voices" / "!v").iterdir())


def voice_problem(name: str) -> str | None:
    """What is wrong with an eSpeak NG voice such as "cmn", "en-us" or "cmn+f3" (a voice and a variant), or None."""
    voice, _, variant = name.partition("+")
    names, variants = _voices()
    if voice.casefold() not in names:
        close = did_you_mean(voice.casefold(), names)
        return (f"eSpeak NG has no voice {voice!r}: use a language voice such as cmn, yue, en-us or en"
                + (f" ({close})" if close else ""))
    if variant and variant not in variants:
        close = did_you_mean(variant, variants)
        return (f"eSpeak NG has no voice variant {variant!r}: use f1–f5 or m1–m8 after the '+', or leave it out"
                + (f" ({close})" if close else ""))
    return None


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class ESpeak:
    """The process-wide eSpeak NG engine (the library keeps global state, so one instance and a lock)."""

    _instance: ESpeak | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                          ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.sample_rate = self.lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                                      espeakng_loader.get_data_path().encode(), INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise RuntimeError(f"eSpeak NG failed to initialise with data at {espeakng_loader.get_data_path()}")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, int]] = []  # (type, text position, ms)
        self._callback = _Callback(self._collect)  # kept referenced: the library calls it
        self.lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> ESpeak:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav, count, events) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type in (EVENT_WORD, EVENT_SENTENCE, EVENT_END, EVENT_MSG_TERMINATED):
                self._events.append((event.type, event.text_position, event.audio_position))
            index += 1
        return 0

    def synthesize(self, text: str, spec: VoiceSpec) -> tuple[np.ndarray, list[WordTiming]]:
        """16-bit PCM at self.sample_rate and word timings (seconds from the first sample)."""
        with self._lock:
            if self.lib.espeak_SetVoiceByName(spec.espeak_voice.encode()) != 0:
                raise VoiceError(voice_problem(spec.espeak_voice) or f"eSpeak NG has no voice {spec.espeak_voice!r}",
                                 hint="set `offline_voice` of the character in cast.toml to one eSpeak NG knows")
            for parameter, value in ((PARAM_RATE, spec.espeak_rate), (PARAM_PITCH, spec.espeak_pitch),
                                     (PARAM_VOLUME, spec.espeak_volume)):
                self.lib.espeak_SetParameter(parameter, value, 0)
            self._chunks, self._events = [], []
            data = text.encode("utf-8") + b"\0"
            error = self.lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8 | ENDPAUSE, None, None)
            if error != 0:
                raise RuntimeError(f"eSpeak NG failed to speak (error {error})")
            samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
            events = self._events
        return samples, _words(text, events, samples.size / self.sample_rate)


def _words(text: str, events: list[tuple[int, int, int]], duration: float) -> list[WordTiming]:
    """Word timings from eSpeak events: a word's text runs to the next word's position (eSpeak skips
    some characters inside words, e.g. 顺手 gives one event), its time to the next event of any kind that is later.
    One pass from the end, so a long line costs time linear in its events."""
    words: list[WordTiming] = []
    next_word = len(text) + 1  # position of the first word event after the one at hand
    later: list[int] = []  # times of the events after it that no earlier-placed event outlasts: nearest on top
    for kind, position, ms in reversed(events):
        while later and later[-1] <= ms:
            later.pop()
        end_ms = later[-1] if later else round(duration * 1000)
        later.append(ms)
        if kind != EVENT_WORD:
            continue
        word = text[position - 1:next_word - 1].strip()
        next_word = position
        if word:
            words.append(WordTiming(text=word, start=ms / 1000, end=min(end_ms / 1000, duration)))
    return words[::-1]
