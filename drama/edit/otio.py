"""The cut as an OpenTimelineIO timeline, for finishing in Resolve, Premiere or any OTIO-aware editor.

Tracks: Video (picked takes, title cards as generators, dissolves as SMPTE transitions, dips to a colour as
custom transitions whose metadata names the colour), Subtitles (a clip per cue, its text in name and
metadata), Voice (a second Voice track when lines overlap, as in dual dialogue) and Music. Every candidate of a shot travels with its clip
as a named media reference (OTIO's multi-reference clips); the active one is the pick, so an editor can
swap takes without coming back to drama.

Media are named by absolute file URLs unless a `url` function is given (a bundle names them relative to itself),
and a title card is a generator unless a still of it is given (the editor formats that have no generator for it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import av
import opentimelineio as otio
from pydantic import BaseModel

from drama import atomic
from drama.edit.timeline import Take, Timeline, VideoSegment

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange


class ShotTakes(BaseModel):
    """What the OTIO file says about one shot's takes."""

    shot_id: str
    active: str
    takes: list[str]
    scores: dict[str, float | None]


def _media_frames(path: Path, fps: float) -> float | None:
    """The length of a media file in timeline frames, or None if it cannot be read."""
    try:
        with av.open(str(path)) as container:
            if container.duration:
                return container.duration / av.time_base * fps
    except (OSError, av.error.FFmpegError):
        return None
    return None


def file_url(path: Path) -> str:
    """The default media URL: the file's absolute path as a file:// URL."""
    return path.resolve().as_uri()


def cut_trims(timeline: Timeline) -> list[tuple[int, int]]:
    """Per segment, the frames (head, tail) that lie beyond its cut points when each dissolve is centred on its cut:
    editors hold two shots end to end and overlap them only inside the transition."""
    segments = timeline.segments
    overlaps = [segment.transition_in.frames if segment.transition_in.kind == "dissolve" else 0 for segment in segments]
    return [(overlaps[i] - overlaps[i] // 2, (overlaps[i + 1] if i + 1 < len(segments) else 0) // 2)
            for i in range(len(segments))]


def _reference(take: Take, fps: float, url: Callable[[Path], str]) -> otio.schema.ExternalReference:
    frames = _media_frames(take.video, fps)
    return otio.schema.ExternalReference(
        target_url=url(take.video),
        available_range=TR(RT(0, fps), RT(frames, fps)) if frames else None,
        metadata={"drama": take.model_dump(mode="json")},
    )


def _video_clip(segment: VideoSegment, head: int, tail: int, fps: float, url: Callable[[Path], str],
                still: Path | None) -> otio.schema.Clip:
    """`head` frames of the segment belong to the incoming dissolve before this clip's cut point, `tail` to the outgoing one."""
    source = TR(RT(head, fps), RT(segment.frames - head - tail, fps))
    metadata = {"drama": {"shot_id": segment.shot_id, "kind": segment.kind, "transition_in": segment.transition_in.source,
                          "fade_in_frames": segment.transition_in.frames if segment.transition_in.kind == "fade" else 0,
                          "fade_in_color": segment.transition_in.color, "fade_out_frames": segment.fade_out,
                          "fade_out_color": segment.fade_out_color}}
    if segment.kind == "title_card" and still is not None:
        reference = otio.schema.ExternalReference(
            target_url=url(still), available_range=TR(RT(0, fps), RT(segment.frames, fps)),
            metadata={"drama": {"title_card": segment.text or "", "background": segment.background}})
        return otio.schema.Clip(name=segment.text or segment.shot_id, media_reference=reference,
                                source_range=source, metadata=metadata)
    if segment.kind == "title_card":
        generator = otio.schema.GeneratorReference(
            name="title card", generator_kind="drama.title_card",
            parameters={"text": segment.text or "", "background": segment.background},
            available_range=TR(RT(0, fps), RT(segment.frames, fps)))
        return otio.schema.Clip(name=segment.text or segment.shot_id, media_reference=generator,
                                source_range=source, metadata=metadata)
    assert segment.take is not None
    clip = otio.schema.Clip(name=segment.shot_id, source_range=source, metadata=metadata)
    clip.set_media_references({take.id: _reference(take, fps, url) for take in segment.alternates}, segment.take.id)
    return clip


def _video_track(timeline: Timeline, url: Callable[[Path], str], stills: Mapping[str, Path]) -> otio.schema.Track:
    fps = timeline.fps
    track = otio.schema.Track(name="Video", kind=otio.schema.TrackKind.Video)
    segments = timeline.segments
    trims = cut_trims(timeline)
    for i, (segment, (head, tail)) in enumerate(zip(segments, trims, strict=True)):
        if head:  # centred on the cut: this shot's first `head` frames before it, the last shot's tail after it
            track.append(otio.schema.Transition(
                name="dissolve", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=RT(head, fps), out_offset=RT(trims[i - 1][1], fps)))
        elif i and segment.transition_in.kind == "fade" and segments[i - 1].fade_out:
            track.append(_dip(segments[i - 1], segment, fps))
        track.append(_video_clip(segment, head, tail, fps, url, stills.get(segment.shot_id)))
    return track


def _dip(before: VideoSegment, after: VideoSegment, fps: float) -> otio.schema.Transition:
    """A dip to a colour centred on the cut: `before` fades out to it over its last frames, `after` in from it.
    The shots do not overlap, so neither clip is trimmed; an editor recreating it as its own dip needs handles."""
    color = after.transition_in.color
    return otio.schema.Transition(
        name=f"dip to {color}", transition_type=otio.schema.TransitionTypes.Custom,
        in_offset=RT(before.fade_out, fps), out_offset=RT(after.transition_in.frames, fps),
        metadata={"drama": {"kind": "dip", "color": color, "source": after.transition_in.source,
                            "fade_out_frames": before.fade_out, "fade_in_frames": after.transition_in.frames}})


def _lanes(items: list[tuple[float, float, otio.core.Item]]) -> list[list[tuple[float, float, otio.core.Item]]]:
    """Items at (start, duration) seconds spread over as few lanes as keep each lane free of overlaps."""
    lanes: list[list[tuple[float, float, otio.core.Item]]] = []
    for entry in sorted(items, key=lambda entry: entry[0]):
        free = next((lane for lane in lanes if lane[-1][0] + lane[-1][1] <= entry[0] + 1e-9), None)
        if free is None:
            lanes.append(free := [])
        free.append(entry)
    return lanes


def _timed_track(name: str, kind: str, items: list[tuple[float, float, otio.core.Item]], fps: float) -> otio.schema.Track:
    """A track of items at (start, duration) seconds, with gaps between them."""
    track = otio.schema.Track(name=name, kind=kind)
    cursor = 0.0
    for start, duration, item in sorted(items, key=lambda entry: entry[0]):
        start = max(start, cursor)
        if start > cursor:
            track.append(otio.schema.Gap(source_range=TR(RT(0, fps), RT((start - cursor) * fps, fps))))
        item.source_range = TR(item.source_range.start_time if item.source_range else RT(0, fps), RT(duration * fps, fps))
        track.append(item)
        cursor = start + duration
    return track


def build_otio(timeline: Timeline, *, url: Callable[[Path], str] = file_url,
               stills: Mapping[str, Path] | None = None) -> otio.schema.Timeline:
    """The timeline in OTIO. `url` names each media file (absolute file URLs by default); `stills` maps title-card
    shot ids to a picture of the card, which then stands in for the generator."""
    fps = timeline.fps
    voice = [(clip.start, clip.duration, otio.schema.Clip(
        name=clip.text, metadata={"drama": {"shot_id": clip.shot_id, "speaker": clip.speaker, "text": clip.text}},
        media_reference=otio.schema.ExternalReference(target_url=url(clip.audio),
                                                      available_range=TR(RT(0, fps), RT(clip.duration * fps, fps)))))
        for clip in timeline.dialogue]
    subtitles = [(cue.start, cue.end - cue.start, otio.schema.Clip(
        name=" ".join(cue.lines), metadata={"drama": {"subtitle": cue.text, "index": cue.index, "speaker": cue.speaker,
                                                      "shot_id": cue.shot_id}},
        media_reference=otio.schema.GeneratorReference(generator_kind="drama.subtitle", parameters={"text": cue.text})))
        for cue in timeline.cues]
    tracks = [_video_track(timeline, url, stills or {}), _timed_track("Subtitles", otio.schema.TrackKind.Video, subtitles, fps)]
    tracks += [_timed_track("Voice" if n == 0 else f"Voice {n + 1}", otio.schema.TrackKind.Audio, lane, fps)
               for n, lane in enumerate(_lanes(voice) or [[]])]
    if timeline.music:
        frames = _media_frames(timeline.music.path, fps) or timeline.frames
        length = frames / fps
        loops, start = [], 0.0
        while start < timeline.duration - 1e-6:
            duration = min(length, timeline.duration - start)
            loops.append((start, duration, otio.schema.Clip(
                name=timeline.music.path.name, metadata={"drama": timeline.music.model_dump(mode="json")},
                media_reference=otio.schema.ExternalReference(target_url=url(timeline.music.path),
                                                          available_range=TR(RT(0, fps), RT(frames, fps))))))
            start += duration
        tracks.append(_timed_track("Music", otio.schema.TrackKind.Audio, loops, fps))
    result = otio.schema.Timeline(name=f"{timeline.project} {timeline.episode}", global_start_time=RT(0, fps),
                                  metadata={"drama": {"project": timeline.project, "episode": timeline.episode,
                                                      "width": timeline.width, "height": timeline.height, "fps": fps}})
    result.tracks.extend(tracks)
    return result


def write_otio(timeline: Timeline, path: Path) -> None:
    atomic.write_text(path, otio.adapters.write_to_string(build_otio(timeline), "otio_json"))


def read_takes(path: Path) -> list[ShotTakes]:
    """Each shot clip's takes as an editor would see them: the active reference and every alternate."""
    result = otio.adapters.read_from_file(str(path))
    shots = []
    for clip in result.video_tracks()[0].find_clips():
        references = clip.media_references()
        if clip.metadata.get("drama", {}).get("kind") != "clip":
            continue
        shots.append(ShotTakes(
            shot_id=clip.metadata["drama"]["shot_id"], active=clip.active_media_reference_key,
            takes=list(references),
            scores={key: ref.metadata.get("drama", {}).get("score") for key, ref in references.items()}))
    return shots
