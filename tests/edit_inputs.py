"""Hand-made inputs for edit/export tests: a tiny project, coloured clips with write_mp4, tone-burst voice lines.

Each line is a pure tone of its own frequency starting on its first sample, so the export's audio can be
checked for where every line begins.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from drama.edit.timeline import Take
from drama.project import Project
from drama.storyboard.model import Shot, Storyboard
from drama.voice.model import VoiceLine, WordTiming
from engine.video import write_mp4

RATE = 48_000


@dataclass
class EditInputs:
    project: Project
    storyboard: Storyboard
    lines: list[VoiceLine]
    picks: dict[str, Take]
    alternates: dict[str, list[Take]] = field(default_factory=dict)


def make_project(root: Path, *, width: int = 144, height: int = 256, fps: int = 30, music: Path | None = None,
                 burn: bool = True) -> Project:
    (root / "episodes").mkdir(parents=True, exist_ok=True)
    (root / "drama.toml").write_text(
        f'title = "test"\n[video]\nwidth = {width}\nheight = {height}\nfps = {fps}\n'
        f"[edit]\nburn_subtitles = {'true' if burn else 'false'}\n", encoding="utf-8")
    if music is not None:
        (root / "music").mkdir(exist_ok=True)
        (root / "music" / music.name).write_bytes(music.read_bytes())
    return Project.load(root)


def write_clip(path: Path, colour: tuple[int, int, int], frames: int, width: int, height: int, fps: int = 30) -> Path:
    """A flat-coloured clip with a small moving grey square (so frames differ) and no white pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def generate():
        for i in range(frames):
            frame = np.empty((height, width, 3), np.uint8)
            frame[:] = colour
            x = (i * 2) % max(1, width - 8)
            frame[4:12, x:x + 8] = 128
            yield frame

    write_mp4(generate(), path, width=width, height=height, fps=fps)
    return path


def write_tone(path: Path, frequency: float, seconds: float, amplitude: float = 0.3) -> Path:
    t = np.arange(round(seconds * RATE)) / RATE
    samples = (amplitude * np.sin(2 * np.pi * frequency * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(samples.tobytes())
    return path


# (id, kind, transition_in, duration, text, tone Hz, line seconds)
DEFAULT_SHOTS = [
    ("s1", "dialogue", "cut", 2.0, "你好，世界。", 440.0, 1.0),
    ("s2", "dialogue", "dissolve", 2.5, "我回来了。", 660.0, 1.2),
    ("s3", "title_card", "cut", 2.0, "三年后", None, None),
    ("s4", "dialogue", "fade_to_black", 2.0, "再见。", 880.0, 0.8),
    ("s5", "action", "smash_cut", 1.5, None, None, None),
]
COLOURS = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (200, 160, 40), (120, 40, 160)]


def make_inputs(root: Path, shots=DEFAULT_SHOTS, *, draws: int = 2, clip_size: tuple[int, int] | None = None,
                **project_options) -> EditInputs:
    """A project and an episode of hand-made shots; clips render at half the export size (a draft) unless given."""
    project = make_project(root, **project_options)
    config = project.config.video
    clip_w, clip_h = clip_size or (config.width // 2 // 2 * 2, config.height // 2 // 2 * 2)
    fps = round(config.fps)
    storyboard_shots, lines, picks, alternates = [], [], {}, {}
    for index, (shot_id, kind, transition, duration, text, tone, line_seconds) in enumerate(shots):
        storyboard_shots.append(Shot(id=shot_id, index=index, kind=kind, scene="1", size="MS", duration=duration,
                                     text=text, transition_in=transition, speaker="A" if tone else None))
        if kind != "title_card":
            takes = [Take(id=f"{shot_id}-d{draw}", draw=draw, seed=draw, score=0.5 + 0.1 * draw,
                          video=write_clip(root / "renders" / f"{shot_id}-d{draw}" / "video.mp4",
                                           tuple(max(0, c - 30 * draw) for c in COLOURS[index % len(COLOURS)]),
                                           round((duration + 0.5) * fps), clip_w, clip_h, fps))
                     for draw in range(draws)]
            picks[shot_id] = takes[0]
            alternates[shot_id] = takes
        if tone:
            audio = write_tone(root / f"{shot_id}.wav", tone, line_seconds)
            characters = [ch for ch in text if ch.isalnum()]
            words = [WordTiming(text=ch, start=i * line_seconds / len(characters),
                                end=(i + 1) * line_seconds / len(characters)) for i, ch in enumerate(characters)]
            lines.append(VoiceLine(shot_id=shot_id, speaker="A", text=text, audio=audio, duration=line_seconds,
                                   words=words, backend="offline", voice="test"))
    storyboard = Storyboard(project="test", episode="ep01", width=config.width, height=config.height, fps=config.fps,
                            shots=storyboard_shots)
    return EditInputs(project, storyboard, lines, picks, alternates)


def decode_audio(path: Path) -> np.ndarray:
    """The file's audio as mono float32 at 48 kHz."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    with av.open(str(path)) as container:
        chunks = [out.to_ndarray().reshape(-1) for frame in container.decode(audio=0) for out in resampler.resample(frame)]
    return np.concatenate(chunks)


def onsets(samples: np.ndarray, *, window: int = 96, quiet: float = 0.1) -> list[float]:
    """Seconds where sound starts after at least `quiet` seconds of near-silence (envelope over 1/10 of the peak)."""
    frames = len(samples) // window
    envelope = np.abs(samples[: frames * window]).reshape(frames, window).max(axis=1)
    loud = envelope > envelope.max() * 0.1
    need = round(quiet * RATE / window)
    found = []
    for i in np.flatnonzero(loud):
        if i >= need and not loud[i - need:i].any():
            first = i * window + int(np.argmax(np.abs(samples[i * window:(i + 1) * window]) > envelope.max() * 0.1))
            found.append(first / RATE)
    if loud[0]:
        found.insert(0, 0.0)
    return found


def decode_frame(path: Path, index: int) -> np.ndarray:
    """Frame `index` of a video as HxWx3 RGB."""
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="rgb24")
    raise IndexError(index)
