"""The cut as a 剪映 (Jianying) or CapCut draft, written with pyJianYingDraft (剪映) or pycapcut (CapCut).

A draft is a folder (draft_content.json, draft_meta_info.json) that the editor lists among its drafts. Here it also
holds the media it uses under media/, so it can be handed over as one folder. Tracks, bottom to top:

- video: the picked takes end to end (a dissolve is centred on its cut, as editors hold it), each title card as
  its background still; a take shorter than its shot is slowed to fill it (said in the notes)
- titles: each title card's words as a text segment, centred, bold
- subtitles: a text segment per cue, white bold with a black outline near the bottom, as the export burns them
- voice (and voice 2 where two lines are spoken at once): every line at its shot's first frame
- music: the bed looped over the episode, at its level, faded in and out, with the duck under speech as volume
  keyframes

Transitions: a dissolve → 叠化; a dip through a dark colour (black included) → 闪黑, through a light one → 闪白;
a fade in from black at the start of a shot → the 渐显 intro animation; the closing fade to black → 渐隐.
Times are microseconds, each frame boundary rounded once, so segments that meet in the cut meet in the draft.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Literal

from PIL import ImageColor

from drama.edit.music import DUCK_ATTACK, DUCK_RELEASE, duck_intervals
from drama.edit.otio import cut_trims
from drama.edit.timeline import Timeline
from drama.errors import ExportError

Editor = Literal["jianying", "capcut"]
LIBRARIES: dict[Editor, tuple[str, str]] = {"jianying": ("pyJianYingDraft", "pyJianYingDraft"),
                                            "capcut": ("pycapcut", "pycapcut")}  # module, pip package
SUBTITLE_SIZE = 7.0  # 剪映's text size units: a 16-character line across about 90 % of a 9:16 frame
SUBTITLE_Y = -0.72  # vertical offset in half canvas heights: the cue's centre 14 % above the bottom edge
TITLE_SIZE = 12.0


def library(editor: Editor) -> ModuleType:
    """The draft library for `editor`, or an error that says what to install."""
    module, package = LIBRARIES[editor]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExportError(f"writing {editor} drafts needs {package}, which is not installed",
                          hint=f"pip install {package}  (or: pip install -e '.[editors]')") from None


def us(frame: float, fps: float) -> int:
    """A frame boundary in microseconds."""
    return round(frame * 1_000_000 / fps)


def duck_keyframes(timeline: Timeline) -> list[tuple[float, float]]:
    """The music's gain as (seconds, linear gain) breakpoints: at its level, ramping down to the duck over
    DUCK_ATTACK before each stretch of speech and back up over DUCK_RELEASE after it (the export's automation over
    the same music.duck_intervals). A ramp may start before 0 s: the bed then starts part way down."""
    bed = timeline.music
    assert bed is not None
    level, ducked = 10 ** (bed.gain_db / 20), 10 ** ((bed.gain_db + bed.duck_db) / 20)
    points = []
    for start, end in duck_intervals([(clip.start, clip.end) for clip in timeline.dialogue]):
        points += [(start - DUCK_ATTACK, level), (start, ducked), (end, ducked), (end + DUCK_RELEASE, level)]
    return points


def gain_at(points: list[tuple[float, float]], t: float, level: float) -> float:
    """The gain at `t` seconds on the breakpoints (`level` outside them), linear in between."""
    for (t0, g0), (t1, g1) in zip(points, points[1:], strict=False):
        if t0 <= t <= t1 and t1 > t0:
            return g0 + (g1 - g0) * (t - t0) / (t1 - t0)
    return level


def _add_track(script, lib: ModuleType, kind: str, name: str) -> None:
    """A new track on top of the others (pyJianYingDraft's TrackSpec API, or pycapcut's add_track)."""
    track_type = getattr(lib.TrackType, kind)
    if hasattr(script, "append_track"):
        script.append_track(lib.TrackSpec(track_type, name=name))
    else:
        script.add_track(track_type, name, relative_index={"voice 2": 1, "titles": 1}.get(name, 0))


def write_draft(timeline: Timeline, editor: Editor, backgrounds: Mapping[str, Path], parent: Path, name: str,
                final: Path) -> list[str]:
    """Write the draft `name` into `parent` (a staging folder), its media paths naming where it will be: `final`.
    Returns notes on what the draft could not say as the export does."""
    lib = library(editor)
    fps = timeline.fps
    draft_folder = lib.DraftFolder(str(parent))
    script = draft_folder.create_draft(name, timeline.width, timeline.height, round(fps))
    media = parent / name / "media"
    media.mkdir()
    notes: list[str] = []
    materials: dict[Path, object] = {}

    def material(path: Path, kind: str, name: str | None = None):
        """The file copied into the draft's media/<kind>/ (as `name`: every take is a video.mp4), as a material."""
        if path not in materials:
            copy = media / kind / (name or path.name)
            copy.parent.mkdir(exist_ok=True)
            shutil.copyfile(path, copy)
            made = (lib.VideoMaterial if kind in ("video", "cards") else lib.AudioMaterial)(str(copy))
            made.path = str(final / "media" / kind / copy.name)  # where the editor will find it
            materials[path] = made
        return materials[path]

    for track in (("video", "video"), ("text", "titles"), ("text", "subtitles"), ("audio", "voice")):
        _add_track(script, lib, *track)
    segments = timeline.segments
    trims = cut_trims(timeline)
    placed = []
    for i, (segment, (head, tail)) in enumerate(zip(segments, trims, strict=True)):
        start, end = us(segment.start + head, fps), us(segment.end - tail, fps)
        target = lib.Timerange(start, end - start)
        if segment.kind == "title_card":
            clip = lib.VideoSegment(material(backgrounds[segment.shot_id], "cards"), target)
            script.add_segment(lib.TextSegment(
                segment.text or "", target, style=lib.TextStyle(size=TITLE_SIZE, bold=True, align=1, auto_wrapping=True),
                shadow=lib.TextShadow(alpha=0.6)), "titles")
        else:
            assert segment.take is not None
            source = material(segment.take.video, "video", f"{segment.index + 1:02d}-{segment.shot_id}-{segment.take.id}"
                                                           f"{segment.take.video.suffix}".replace("/", "_"))
            offset, length = us(head, fps), end - start
            if offset + length > source.duration:  # a take shorter than its shot: slowed to fill it
                clip = lib.VideoSegment(source, target, source_timerange=lib.Timerange(0, source.duration))
                notes.append(f"shot {segment.shot_id}: its take is {source.duration / 1e6:.2f}s for "
                             f"{(us(segment.end, fps) - us(segment.start, fps)) / 1e6:.2f}s, slowed to fill it "
                             "(the export holds its last frame)")
            else:
                clip = lib.VideoSegment(source, target, source_timerange=lib.Timerange(offset, length))
        fade_in = segment.transition_in.frames if segment.transition_in.kind == "fade" else 0
        if fade_in and (i == 0 or not segments[i - 1].fade_out):
            clip.add_animation(lib.IntroType.渐显, us(fade_in, fps))
        if segment.fade_out and i == len(segments) - 1:
            clip.add_animation(lib.OutroType.渐隐, us(segment.fade_out, fps))
        placed.append(clip)
    for i, clip in enumerate(placed[:-1]):
        after = segments[i + 1]
        if after.transition_in.kind == "dissolve" and after.transition_in.frames:
            clip.add_transition(lib.TransitionType.叠化, duration=us(after.transition_in.frames, fps))
        elif after.transition_in.kind == "fade" and segments[i].fade_out:
            red, green, blue = ImageColor.getrgb(after.transition_in.color)[:3]
            light = 0.299 * red + 0.587 * green + 0.114 * blue > 127
            clip.add_transition(lib.TransitionType.闪白 if light else lib.TransitionType.闪黑,
                                duration=us(segments[i].fade_out + after.transition_in.frames, fps))
    for clip in placed:
        script.add_segment(clip, "video")

    total = us(timeline.frames, fps)
    for cue in timeline.cues:  # a cue held past the last frame ends with the picture (the draft would be longer)
        start = us(cue.start * fps, fps)
        script.add_segment(lib.TextSegment(
            cue.text, lib.Timerange(start, min(us(cue.end * fps, fps), total) - start),
            style=lib.TextStyle(size=SUBTITLE_SIZE, bold=True, align=1, auto_wrapping=True),
            border=lib.TextBorder(color=(0.0, 0.0, 0.0), width=40.0),
            clip_settings=lib.ClipSettings(transform_y=SUBTITLE_Y)), "subtitles")
    if timeline.cues:
        notes.append(f"subtitles are in {editor}'s default font: Noto Sans CJK, the export's, is not in its font "
                     "library (choose it in the editor if it is installed)")

    ends: dict[str, int] = {}
    for clip in timeline.dialogue:
        start = us(clip.start * fps, fps)
        track = next((name for name, end in ends.items() if end <= start), None)
        if track is None:
            track = "voice" if not ends else f"voice {len(ends) + 1}"
            if track != "voice":
                _add_track(script, lib, "audio", track)
        audio = material(clip.audio, "voice")
        length = min(round(clip.duration * 1_000_000), audio.duration)
        script.add_segment(lib.AudioSegment(audio, lib.Timerange(start, length)), track)
        ends[track] = start + length

    if timeline.music is not None:
        _add_music(script, lib, timeline, material(timeline.music.path, "music"))
    script.save()
    return notes


def _add_music(script, lib: ModuleType, timeline: Timeline, bed_material) -> None:
    """The bed looped end to end over the episode, faded in and out, with the duck as volume keyframes."""
    _add_track(script, lib, "audio", "music")
    bed = timeline.music
    assert bed is not None
    total, length = us(timeline.frames, timeline.fps), bed_material.duration
    points, level = duck_keyframes(timeline), 10 ** (bed.gain_db / 20)
    start = 0
    while start < total:
        span = min(length, total - start)
        segment = lib.AudioSegment(bed_material, lib.Timerange(start, span), volume=level)
        fade_in = round(min(bed.fade_in, timeline.duration / 4) * 1e6) if start == 0 else 0
        fade_out = round(min(bed.fade_out, timeline.duration / 4) * 1e6) if start + span >= total else 0
        if fade_in or fade_out:
            segment.add_fade(fade_in, fade_out)
        times = [start / 1e6] + [t for t, _ in points if start / 1e6 < t < (start + span) / 1e6] + [(start + span) / 1e6]
        for t in times:
            segment.add_keyframe(round(t * 1e6) - start, gain_at(points, t, level))
        script.add_segment(segment, "music")
        start += span
