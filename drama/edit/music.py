"""The music bed: which file, and the ffmpeg chain that loops, trims, fades and ducks it under dialogue.

Ducking is volume automation computed from the known line intervals (not a sidechain compressor): it is
deterministic, costs nothing, and starts lowering the music just before a line instead of after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from drama.errors import DramaError, did_you_mean
from drama.project import Project
from drama.project.project import toml_line

AUDIO_SUFFIXES = {".ogg", ".opus", ".m4a", ".mp3", ".wav", ".flac", ".aac"}
DUCK_ATTACK = 0.25  # seconds the music takes to go down before a line
DUCK_RELEASE = 0.6  # … and to come back after it
MERGE_GAP = 1.0  # lines closer than this keep the music down in between (no pumping); > attack + release
TERMS_PER_EXPRESSION = 40


def music_file(project: Project) -> Path | None:
    """The bed: config.edit.music (a file under music/), else the first audio file there, else none."""
    folder = project.root / "music"
    chosen = project.config.edit.music
    if chosen:
        path = folder / chosen
        if not path.is_file():
            known = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES) if folder.is_dir() else []
            config = project.root / "drama.toml"
            raise DramaError(f"music file {chosen!r} not found in music/", path=config,
                             line=toml_line(config.read_text(encoding="utf-8-sig"), ("edit", "music")),
                             hint=did_you_mean(chosen, known) or (f"audio files in music/: {', '.join(known)}" if known
                                                                  else "add the file to music/"))
        return path
    if not folder.is_dir():
        return None
    audio = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    return audio[0] if audio else None


def duck_intervals(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Speech spans merged where the gap between them is too short to bring the music back up."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] < MERGE_GAP:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def duck_expressions(spans: Sequence[tuple[float, float]], duck_db: float) -> list[str]:
    """ffmpeg `volume` expressions of t whose product is 1 outside speech and 10^(duck_db/20) during it, with
    linear ramps. Merged intervals' ramps never overlap, so each can be its own factor; they are split into
    chunks because ffmpeg's expression parser gives up at about 100 terms."""
    intervals = duck_intervals(spans)
    depth = 1.0 - 10 ** (duck_db / 20)
    expressions = []
    for first in range(0, len(intervals), TERMS_PER_EXPRESSION):
        terms = "+".join(f"clip((t-{start - DUCK_ATTACK:.3f})/{DUCK_ATTACK},0,1)*"
                         f"clip(({end + DUCK_RELEASE:.3f}-t)/{DUCK_RELEASE},0,1)"
                         for start, end in intervals[first:first + TERMS_PER_EXPRESSION])
        expressions.append(f"1-{depth:.4f}*min(1,{terms})")
    return expressions


def music_chain(duration: float, gain_db: float, duck_db: float, fade_in: float, fade_out: float,
                spans: Sequence[tuple[float, float]]) -> str:
    """Filters for a looped music input (`-stream_loop -1`): stereo 48 kHz, cut to the episode, level, ducking, fades."""
    fade_in = min(fade_in, duration / 4)
    fade_out = min(fade_out, duration / 4)
    ducking = "".join(f"volume='{expression}':eval=frame," for expression in duck_expressions(spans, duck_db))
    return (f"aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,atrim=duration={duration:.6f},"
            f"volume={gain_db:.2f}dB,{ducking}"
            f"afade=t=in:d={fade_in:.3f},afade=t=out:st={duration - fade_out:.6f}:d={fade_out:.3f}")
