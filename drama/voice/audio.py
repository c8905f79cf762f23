"""From a backend's raw audio to a line's WAV: decode/resample with the bundled ffmpeg to 48 kHz mono,
trim silence so the first sample is speech (the edit starts each line exactly at its shot's start)."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from drama import atomic
from drama.voice.model import SAMPLE_RATE, WordTiming

SPEECH_THRESHOLD = 0.02  # of full scale (-34 dBFS): quieter samples at the ends are silence
LEAD_IN = 0.005  # seconds kept before the first loud sample, so the onset is not clipped
TAIL = 0.06  # seconds kept after the last loud sample: the release of the last syllable


def decode(data: bytes, input_args: list[str]) -> np.ndarray:
    """Any audio ffmpeg reads (MP3, raw PCM described by input_args) → int16 mono at SAMPLE_RATE."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", *input_args, "-i", "pipe:0",
               "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1"]
    result = subprocess.run(command, input=data, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not decode the voice audio: {result.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(result.stdout, dtype="<i2")


def trim(samples: np.ndarray, words: list[WordTiming]) -> tuple[np.ndarray, list[WordTiming]]:
    """Cut leading and trailing silence and move the word timings with the cut."""
    level = np.abs(samples.astype(np.float32)) / 32768.0
    loud = np.flatnonzero(level > min(SPEECH_THRESHOLD, 0.25 * float(level.max(initial=0.0))))
    if loud.size == 0:
        raise RuntimeError("the voice audio is silent")
    start = max(0, int(loud[0]) - int(LEAD_IN * SAMPLE_RATE))
    end = min(samples.size, int(loud[-1]) + int(TAIL * SAMPLE_RATE))
    shift, length = start / SAMPLE_RATE, (end - start) / SAMPLE_RATE
    moved = []
    for word in words:
        word_start = min(max(word.start - shift, 0.0), length)
        moved.append(WordTiming(text=word.text, start=word_start, end=min(max(word.end - shift, word_start), length)))
    return samples[start:end], moved


def wav_bytes(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def write_wav(path: Path, samples: np.ndarray) -> None:
    atomic.write_bytes(path, wav_bytes(samples))


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2"), handle.getframerate()
