"""The episode's picture in segments, each encoded once and kept, so that a change re-encodes only what it touches.

A segment starts on a shot's first frame and runs to the next shot's first frame: the frames of a dissolve, which
straddle the cut, belong to the shot dissolving in. Its key hashes everything that sets its pixels: its shot (the
take's file, length, fades and dips, title-card text), the shots before it whose frames it reaches into
(`assemble.depends_from`: the tail a dissolve mixes in, the frame a title card blurs), the subtitle cues on screen
during it (timed from its own first frame, so a segment moved by a change earlier in the episode is kept), the
frame size and rate, the encoder settings and ffmpeg. Each segment is a fresh encode (it starts on an IDR frame),
so the export joins them by stream copy.

Segments live in .drama/cache/segments/<episode>/<key>.mp4, each renamed into place only once it is whole and
checked, so a crash or Ctrl-C leaves only whole segments there; a cached segment is checked again (its frame count)
before it is used.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from itertools import islice
from pathlib import Path

import av
from pydantic import BaseModel

from drama.edit.assemble import VIDEO_CODEC, depends_from, encode_picture, video_frames
from drama.edit.subtitles import Cue, write_ass
from drama.edit.timeline import Timeline, VideoSegment
from drama.errors import ExportError
from drama.project import Project
from engine.video import ffmpeg_exe

SEGMENT_VERSION = 1  # bump when a segment's pixels change for the same key


class Segment(BaseModel):
    """A piece of the episode's picture, encoded on its own (the timeline's VideoSegment is a shot)."""

    index: int  # the shot it starts with, in timeline.segments
    shot_id: str
    first: int  # its first frame on the timeline
    frames: int
    cues: list[Cue]  # the cues burned in during it, timed from its first frame to the centisecond (as ASS keeps them)
    key: str


def file_state(path: Path) -> list[object]:
    """What tells a changed file: its path, size and modification time (None when it is missing)."""
    try:
        stat = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), stat.st_size, stat.st_mtime_ns]


def cues_within(cues: Sequence[Cue], start: float, seconds: float) -> list[Cue]:
    """The cues on screen between `start` and `start + seconds`, timed from `start` and cut to that span."""
    limit = math.ceil(seconds * 100) / 100
    within = [cue.model_copy(update={"start": max(0.0, round(cue.start - start, 2)),
                                     "end": min(round(cue.end - start, 2), limit)})
              for cue in cues if cue.start < start + seconds and cue.end > start]
    return [cue for cue in within if cue.end > cue.start]


def _shot_state(shot: VideoSegment, first: int) -> dict[str, object]:
    """What of a shot sets its pixels: everything but its name, its alternates and the take's id; its start is
    counted from the segment's first frame and its take is its file."""
    state = shot.model_dump(mode="json", exclude={"shot_id", "index", "alternates", "take"})
    state["start"] = shot.start - first
    state["take"] = file_state(shot.take.video) if shot.take else None
    return state


def plan_segments(timeline: Timeline) -> list[Segment]:
    """One segment per shot, from its first frame to the next shot's, with the key of its pixels."""
    shots = timeline.segments
    segments = []
    for i, shot in enumerate(shots):
        first, stop = shot.start, shots[i + 1].start if i + 1 < len(shots) else timeline.frames
        cues = cues_within(timeline.cues, first / timeline.fps, (stop - first) / timeline.fps) \
            if timeline.burn_subtitles else []
        payload = {"version": SEGMENT_VERSION, "ffmpeg": Path(ffmpeg_exe()).name, "codec": VIDEO_CODEC,
                   "size": [timeline.width, timeline.height], "fps": timeline.fps, "frames": stop - first,
                   "shots": [_shot_state(before, first) for before in shots[depends_from(shots, i): i + 1]],
                   "cues": [cue.model_dump(mode="json", exclude={"index", "shot_id"}) for cue in cues]}
        key = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
        segments.append(Segment(index=i, shot_id=shot.shot_id, first=first, frames=stop - first, cues=cues, key=key))
    return segments


def _frame_count(path: Path) -> int | None:
    """The frames an MP4's video track holds (from its index, nothing decoded); None when it is no readable MP4."""
    try:
        with av.open(str(path)) as container:
            return container.streams.video[0].frames
    except (OSError, IndexError, av.error.FFmpegError):
        return None


class SegmentCache:
    """An episode's encoded segments, by key."""

    def __init__(self, project: Project, episode: str):
        self.folder = project.cache_dir / "segments" / episode

    def path(self, segment: Segment) -> Path:
        return self.folder / f"{segment.key}.mp4"

    def holds(self, segment: Segment) -> bool:
        """The segment is there, whole."""
        return _frame_count(self.path(segment)) == segment.frames

    def store(self, built: Path, segment: Segment) -> None:
        """Move a freshly encoded segment in (same file system: one rename), once it is on disk and whole."""
        if (count := _frame_count(built)) != segment.frames:
            raise ExportError(f"the segment from shot {segment.shot_id} came out with {count} frames, not "
                              f"{segment.frames}", hint="this is a bug in drama: please report it")
        with built.open("rb") as handle:
            os.fsync(handle.fileno())
        self.folder.mkdir(parents=True, exist_ok=True)
        os.replace(built, self.path(segment))

    def keep_only(self, keys: set[str]) -> None:
        """Remove every segment but those with these keys."""
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.stem not in keys:
                    path.unlink(missing_ok=True)


def _runs(segments: Sequence[Segment]) -> Iterator[list[Segment]]:
    """Consecutive segments together: one pass over their takes encodes them all."""
    run: list[Segment] = []
    for segment in segments:
        if run and segment.index != run[-1].index + 1:
            yield run
            run = []
        run.append(segment)
    if run:
        yield run


def encode_segments(timeline: Timeline, segments: Sequence[Segment], cache: SegmentCache, workdir: Path,
                    env: dict[str, str], on_frame: Callable[[], None] | None = None) -> None:
    """Encode these segments (in timeline order) in `workdir`, each put in the cache as soon as it is whole."""
    for run in _runs(segments):
        with closing(video_frames(timeline, run[0].index, run[-1].index + 1)) as frames:
            for segment in run:
                name = f"segment-{segment.index:04d}"
                ass = workdir / f"{name}.ass" if segment.cues else None
                if ass is not None:
                    write_ass(segment.cues, ass, timeline.width, timeline.height)
                built = workdir / f"{name}.mp4"
                encode_picture(timeline, islice(frames, segment.frames), ass, built, workdir / f"{name}.log", env,
                               on_frame)
                cache.store(built, segment)
