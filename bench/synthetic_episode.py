"""A synthetic episode of any length for the export benches: draft-size clips with texture and motion,
speech-like voice lines, the demo's music bed, dissolves, a title card every few shots, CJK subtitles.

A handful of distinct clips and voices are reused round-robin, so building a 10-minute episode is quick."""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drama.edit.timeline import Take, Timeline, build_timeline  # noqa: E402
from drama.project import Project  # noqa: E402
from drama.storyboard.model import Shot, Storyboard  # noqa: E402
from drama.voice.model import VoiceLine  # noqa: E402
from engine.video import write_mp4  # noqa: E402

DEMO_MUSIC = Path(__file__).resolve().parent.parent / "projects" / "demo" / "music" / "tension_bed.ogg"
LINES = ["你为什么现在才回来？", "三年了，我一直在等你。", "这件事，我会给你一个交代。", "别再骗我了！", "今晚，一切都会结束。"]
DISTINCT = 6


def _clip(path: Path, seed: int, seconds: float, width: int, height: int, fps: int) -> None:
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 255, (height // 8 + 3, width // 8 + 3, 3), dtype=np.uint8)  # room to pan 16 px
    smooth = np.kron(texture, np.ones((8, 8, 1), np.uint8))

    def frames():
        for i in range(round(seconds * fps)):
            yield smooth[i % 16: i % 16 + height, i % 16: i % 16 + width]

    write_mp4(frames(), path, width=width, height=height, fps=fps)


def _voice(path: Path, seed: int, seconds: float, rate: int = 48_000) -> None:
    """Speech-like: a gliding harmonic tone, amplitude-modulated at syllable rate."""
    t = np.arange(round(seconds * rate)) / rate
    pitch = 180 + 40 * np.sin(2 * np.pi * 0.7 * t + seed)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 6))
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4.5 * t) ** 2
    samples = (0.25 * tone * syllables * 32767 / 2).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.tobytes())


def synthetic_timeline(root: Path, seconds: float, *, width: int = 1080, height: int = 1920, fps: int = 30,
                       shot_seconds: float = 5.0, draft_scale: float = 0.5) -> tuple[Project, Timeline]:
    (root / "episodes").mkdir(parents=True, exist_ok=True)
    (root / "music").mkdir(exist_ok=True)
    (root / "music" / DEMO_MUSIC.name).write_bytes(DEMO_MUSIC.read_bytes())
    (root / "drama.toml").write_text(f'title = "bench"\n[video]\nwidth = {width}\nheight = {height}\nfps = {fps}\n',
                                     encoding="utf-8")
    project = Project.load(root)
    draft_w, draft_h = round(width * draft_scale / 2) * 2, round(height * draft_scale / 2) * 2
    clips, voices = [], []
    for k in range(DISTINCT):
        clip = root / "renders" / f"c{k}" / "video.mp4"
        if not clip.exists():
            clip.parent.mkdir(parents=True, exist_ok=True)
            _clip(clip, k, shot_seconds + 0.5, draft_w, draft_h, fps)
        voice = root / f"voice{k}.wav"
        _voice(voice, k, shot_seconds * 0.6)
        clips.append(clip)
        voices.append(voice)
    shots, lines, picks = [], [], {}
    count = max(1, round(seconds / shot_seconds))
    for i in range(count):
        shot_id = f"shot{i:04d}"
        card = i % 10 == 5
        transition = "dissolve" if i % 4 == 2 else "fade_to_black" if i % 10 == 9 else "cut"
        text = "第二天夜里" if card else LINES[i % len(LINES)]
        shots.append(Shot(id=shot_id, index=i, kind="title_card" if card else "dialogue", scene=str(i // 4 + 1),
                          size="MS", duration=shot_seconds, text=text, transition_in=transition,
                          speaker=None if card else "A"))
        if not card:
            picks[shot_id] = Take(id=f"{shot_id}-d0", video=clips[i % DISTINCT], score=0.5, draw=0)
            lines.append(VoiceLine(shot_id=shot_id, speaker="A", text=text, audio=voices[i % DISTINCT],
                                   duration=shot_seconds * 0.6, backend="offline", voice="bench"))
    storyboard = Storyboard(project="bench", episode="ep01", width=width, height=height, fps=fps, shots=shots)
    return project, build_timeline(project, storyboard, lines, picks)
