"""The cut as data: picked takes, title cards, transitions, dialogue, music and subtitle cues on one frame grid.

`build_timeline` is pure: it only decides where everything goes. Every shot starts on a whole frame, and its
voice line starts on exactly that frame (with a dual-dialogue line, both start there and the shot lasts as long
as the longer), so sound and picture stay in sync through any transition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from drama.edit.music import music_file
from drama.edit.subtitles import Cue, cues_for
from drama.errors import DramaError
from drama.project import Project
from drama.render.state import Candidate
from drama.screenplay.model import TransitionKind
from drama.storyboard.model import Shot, Storyboard
from drama.voice.model import VoiceLine, WordTiming, shot_of

DISSOLVE_SECONDS = 0.5  # cross-dissolve length (the two shots overlap this long)
FADE_SECONDS = 0.5  # fade from / to black
END_FADE_SECONDS = 0.6  # the episode always ends on a fade to black
MIN_DISSOLVE_FRAMES = 2  # shorter than this, a dissolve is just a cut

CUTS = {"cut", "smash_cut", "match_cut", "other"}
FADES_IN = {"fade_in"}
DIPS = {"fade_out", "fade_to_black", "dip"}  # the previous shot fades out to a colour (black unless a dip), this one in
BLACK = "#000000"


class Take(BaseModel):
    """One rendered candidate of a shot, as the edit needs it (a slim copy of render's Candidate)."""

    id: str
    video: Path
    score: float | None = None
    draw: int | None = None
    seed: int | None = None
    engine: str | None = None
    stale: bool = False

    @classmethod
    def from_candidate(cls, candidate: Candidate) -> "Take":
        return cls(id=candidate.id, video=candidate.video, score=candidate.score, draw=candidate.draw,
                   seed=candidate.seed, engine=candidate.engine, stale=candidate.stale)


class Transition(BaseModel):
    kind: Literal["cut", "dissolve", "fade"] = "cut"  # fade: from `color`
    frames: int = Field(0, ge=0)
    source: TransitionKind = "cut"  # what the screenplay said
    color: str = BLACK  # "#rrggbb" a fade comes from: black, or a dip's colour


class VideoSegment(BaseModel):
    """A shot on the timeline. A dissolve makes it start `transition_in.frames` before the previous one ends."""

    shot_id: str
    index: int
    kind: Literal["clip", "title_card"]
    start: int = Field(ge=0)  # first frame on the timeline
    frames: int = Field(ge=1)
    take: Take | None = None  # the pick (clips only)
    alternates: list[Take] = Field(default_factory=list)  # every candidate, the pick included
    text: str | None = None  # title cards
    background: Literal["black", "blur"] = "black"  # title cards: black, or a darkened blur of the previous frame
    transition_in: Transition = Transition()
    fade_out: int = Field(0, ge=0)  # frames fading to `fade_out_color` at the end
    fade_out_color: str = BLACK

    @property
    def end(self) -> int:
        return self.start + self.frames


class DialogueClip(BaseModel):
    shot_id: str  # the voice line's: its shot's id, with ^ for the second line of dual dialogue
    speaker: str | None
    text: str
    audio: Path
    start: float  # seconds on the timeline: its shot's first frame
    duration: float
    words: list[WordTiming] = Field(default_factory=list)

    @property
    def end(self) -> float:
        return self.start + self.duration


class MusicBed(BaseModel):
    path: Path
    gain_db: float = -16.0  # the bed's level before loudness normalisation
    duck_db: float = -10.0  # extra attenuation while someone speaks
    fade_in: float = 1.5
    fade_out: float = 2.5


class Timeline(BaseModel):
    project: str
    episode: str
    title: str | None = None
    width: int
    height: int
    fps: float
    frames: int = Field(ge=1)
    segments: list[VideoSegment]
    dialogue: list[DialogueClip] = Field(default_factory=list)
    music: MusicBed | None = None
    cues: list[Cue] = Field(default_factory=list)
    loudness_lufs: float = -14.0
    true_peak_db: float = -1.0
    burn_subtitles: bool = True

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def _frames(seconds: float, fps: float) -> int:
    return max(1, round(seconds * fps))


def _dissolve_frames(previous: VideoSegment, shot_frames: int, previous_line: VoiceLine | None, fps: float) -> int:
    """As long as DISSOLVE_SECONDS allows, but at most a third of either shot and never over the previous line."""
    frames = min(round(DISSOLVE_SECONDS * fps), previous.frames // 3, shot_frames // 3)
    if previous_line is not None:
        frames = min(frames, previous.frames - math.ceil(previous_line.duration * fps))
    return frames if frames >= MIN_DISSOLVE_FRAMES else 0


def build_timeline(project: Project, storyboard: Storyboard, lines: Sequence[VoiceLine],
                   picks: Mapping[str, Candidate | Take],
                   alternates: Mapping[str, Sequence[Candidate | Take]] | None = None) -> Timeline:
    """Lay the episode out: each shot for its duration (rounded to frames), the screenplay's transitions as
    cuts / dissolves / fades / dips through a colour, each line at its shot's first frame, cues timed to the cut,
    the music bed."""
    fps = storyboard.fps
    line_of: dict[str, VoiceLine] = {}  # per shot, its longer line when two are spoken at once
    for line in lines:
        if (other := line_of.get(shot_of(line.shot_id))) is None or line.duration > other.duration:
            line_of[shot_of(line.shot_id)] = line
    fade = _frames(FADE_SECONDS, fps)
    segments: list[VideoSegment] = []
    for shot in storyboard.shots:
        segments.append(_segment(shot, segments, picks, alternates or {}, line_of, fade, fps))
    if not segments:
        raise DramaError(f"episode {storyboard.episode!r} has no shots", hint="check the screenplay has scenes")
    segments[-1].fade_out = max(segments[-1].fade_out, min(_frames(END_FADE_SECONDS, fps), segments[-1].frames // 2))
    starts = {segment.shot_id: segment.start / fps for segment in segments}
    dialogue = [DialogueClip(shot_id=line.shot_id, speaker=line.speaker, text=line.text, audio=line.audio,
                             start=starts[shot_of(line.shot_id)], duration=line.duration, words=line.words)
                for line in lines if shot_of(line.shot_id) in starts]
    edit = project.config.edit
    music = music_file(project)
    return Timeline(
        project=storyboard.project, episode=storyboard.episode, title=storyboard.title,
        width=project.config.video.width, height=project.config.video.height, fps=fps,
        frames=max(segment.end for segment in segments), segments=segments, dialogue=dialogue,
        music=MusicBed(path=music, gain_db=edit.music_gain_db) if music else None,
        cues=cues_for(storyboard, list(lines), shot_starts=starts),
        loudness_lufs=edit.loudness_lufs, true_peak_db=edit.true_peak_db, burn_subtitles=edit.burn_subtitles,
    )


def _segment(shot: Shot, before: list[VideoSegment], picks: Mapping[str, Candidate | Take],
             alternates: Mapping[str, Sequence[Candidate | Take]], line_of: Mapping[str, VoiceLine],
             fade: int, fps: float) -> VideoSegment:
    frames = _frames(shot.duration, fps)
    if shot.dual is not None and shot.id in line_of:  # both lines are heard whole
        frames = max(frames, math.ceil(line_of[shot.id].duration * fps))
    previous = before[-1] if before else None
    start = previous.end if previous else 0
    transition = Transition(source=shot.transition_in)
    if shot.transition_in == "dissolve" and previous is not None:
        overlap = _dissolve_frames(previous, frames, line_of.get(previous.shot_id), fps)
        if overlap:
            transition = Transition(kind="dissolve", frames=overlap, source=shot.transition_in)
            start -= overlap
    elif shot.transition_in in FADES_IN | DIPS or (shot.transition_in == "dissolve" and previous is None):
        color = (shot.transition_color or BLACK) if shot.transition_in == "dip" else BLACK
        transition = Transition(kind="fade", frames=min(fade, frames // 2), source=shot.transition_in, color=color)
        if shot.transition_in in DIPS and previous is not None:
            previous.fade_out, previous.fade_out_color = min(fade, previous.frames // 2), color
    if shot.kind == "title_card":
        return VideoSegment(shot_id=shot.id, index=shot.index, kind="title_card", start=start, frames=frames,
                            text=shot.text or "", transition_in=transition,
                            background="blur" if previous is not None and previous.kind == "clip" else "black")
    pick = picks.get(shot.id)
    if pick is None:
        raise DramaError(f"shot {shot.id} ({shot.scene}, #{shot.index + 1}) has no rendered take",
                         path=shot.source_file, line=shot.source_lines[0] if shot.source_lines else None,
                         hint="render it first: drama render PROJECT (or drama make PROJECT)")
    take = pick if isinstance(pick, Take) else Take.from_candidate(pick)
    others = [c if isinstance(c, Take) else Take.from_candidate(c) for c in alternates.get(shot.id, [])]
    if all(other.id != take.id for other in others):
        others.insert(0, take)
    return VideoSegment(shot_id=shot.id, index=shot.index, kind="clip", start=start, frames=frames, take=take,
                        alternates=others, transition_in=transition)
