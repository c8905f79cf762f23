"""The cut for Premiere, Resolve, Final Cut and online suites: FCP 7 XML, FCPXML, CMX 3600 EDL and OTIO, each
written by OpenTimelineIO's adapter plugin for it from the OTIO timeline drama builds (never hand-written XML).

Each format holds less than the OTIO does, so the timeline is shaped to what its adapter writes and what is left
out is said in `notes`: one take per shot (the pick) where a clip cannot carry alternates, no subtitle track
(the SRT beside the file carries them), the transitions and tracks a format has no place for.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import opentimelineio as otio
from pydantic import BaseModel

from drama.edit.otio import build_otio
from drama.edit.timeline import Timeline
from drama.errors import ExportError

InterchangeFormat = Literal["fcp7", "fcpxml", "edl", "otio"]


class Adapter(BaseModel):
    name: str  # OTIO's adapter name
    suffix: str
    label: str
    package: str | None  # the pip package of the plugin (None: built into opentimelineio)
    timecode: bool = False  # counts time in frames of the SMPTE rates (24, 25, 30 …) only


ADAPTERS: dict[InterchangeFormat, Adapter] = {
    "fcp7": Adapter(name="fcp_xml", suffix=".xml", label="FCP 7 XML", package="otio-fcp-adapter", timecode=True),
    "fcpxml": Adapter(name="fcpx_xml", suffix=".fcpxml", label="FCPXML", package="otio-fcpx-xml-adapter",
                      timecode=True),
    "edl": Adapter(name="cmx_3600", suffix=".edl", label="CMX 3600 EDL", package="otio-cmx3600-adapter", timecode=True),
    "otio": Adapter(name="otio_json", suffix=".otio", label="OTIO", package=None),
}


def require_adapter(fmt: InterchangeFormat) -> Adapter:
    """The format's adapter, or an error that says which package to install."""
    adapter = ADAPTERS[fmt]
    if adapter.name not in otio.adapters.available_adapter_names():
        raise ExportError(f"the {adapter.label} writer is not installed (OpenTimelineIO's {adapter.name!r} adapter)",
                          hint=f"pip install {adapter.package}  (it comes with drama: pip install -e . reinstalls it)")
    return ADAPTERS[fmt]


def _keep_picks_only(result: otio.schema.Timeline) -> int:
    """Drop every alternate take, keeping each clip's pick; how many alternates were dropped."""
    dropped = 0
    for clip in result.find_clips():
        references = clip.media_references()
        if len(references) > 1:
            key = clip.active_media_reference_key
            dropped += len(references) - 1
            clip.set_media_references({key: references[key]}, key)
    return dropped


def _drop_tracks(result: otio.schema.Timeline, keep) -> list[str]:
    """Remove the tracks `keep` refuses; their names."""
    dropped = [track for track in result.tracks if not keep(track)]
    for track in dropped:
        result.tracks.remove(track)
    return [track.name for track in dropped]


def _transitions(result: otio.schema.Timeline, *, dips_as: str | None) -> tuple[int, int]:
    """Dips to a colour made into what a format can say (`dips_as`: a dissolve named so; None: removed, the
    two shots cut), or every transition removed when `dips_as` is "cut"; (dissolves, dips) removed."""
    removed_dissolves = removed_dips = 0
    for track in result.video_tracks():
        for item in list(track):
            if not isinstance(item, otio.schema.Transition):
                continue
            dip = item.transition_type == otio.schema.TransitionTypes.Custom
            if dips_as == "cut" or (dip and dips_as is None):
                track.remove(item)
                removed_dips += dip
                removed_dissolves += not dip
            elif dip:
                item.transition_type = otio.schema.TransitionTypes.SMPTE_Dissolve
                item.metadata["fcp_xml"] = {"effectid": dips_as}
    return removed_dissolves, removed_dips


def shaped(timeline: Timeline, fmt: InterchangeFormat, stills: Mapping[str, Path]) -> tuple[otio.schema.Timeline, list[str]]:
    """The OTIO timeline as `fmt` can hold it, and what was left out (in words for the export summary)."""
    result = build_otio(timeline, stills=stills)
    if fmt == "otio":
        return result, []
    label = ADAPTERS[fmt].label
    notes = []
    if dropped := _keep_picks_only(result):
        notes.append(f"{dropped} alternate take(s) dropped: {label} holds one take per shot (the pick); "
                     "--format otio or otioz keeps them")
    if fmt == "edl":
        gone = _drop_tracks(result, lambda track: track.name == "Video")
        notes.append(f"an EDL lists the picture only: {', '.join(gone)} left out (the SRT beside it has the subtitles)")
        for n, clip in enumerate(result.find_clips(), start=1):  # every take is a video.mp4: name the reels by shot
            clip.metadata["cmx_3600"] = {"reel": f"SH{n:03d}"}
        dissolves, dips = _transitions(result, dips_as=None)
        if dips:
            notes.append(f"{dips} dip(s) to a colour became cuts (an EDL has dissolves and wipes only)")
    else:
        _drop_tracks(result, lambda track: track.name != "Subtitles")
        if timeline.cues:
            notes.append(f"subtitles are in the SRT beside the {label} (import it as captions)")
        if fmt == "fcpxml":
            dissolves, dips = _transitions(result, dips_as="cut")
            if dissolves or dips:
                notes.append(f"{dissolves} dissolve(s) and {dips} dip(s) became cuts: the FCPXML adapter writes no "
                             "transitions (FCP 7 XML keeps them)")
        else:
            _transitions(result, dips_as="Dip to Color Dissolve")
    return result, notes


def to_string(timeline: Timeline, fmt: InterchangeFormat, stills: Mapping[str, Path]) -> tuple[str, list[str]]:
    """The file's text in `fmt`, written by the format's OTIO adapter, and the notes on what it left out."""
    adapter = require_adapter(fmt)
    if adapter.timecode and not otio.opentime.RationalTime.is_smpte_timecode_rate(timeline.fps):
        raise ExportError(f"{adapter.label} counts time at the SMPTE frame rates, which have no {timeline.fps:g} fps",
                          hint="set [video] fps in drama.toml to 24, 25 or 30 (or 23.976, 29.97, 50, 60), or hand off "
                               "as --format otio, otioz or jianying, which take any rate")
    result, notes = shaped(timeline, fmt, stills)
    try:
        return otio.adapters.write_to_string(copy.deepcopy(result), adapter.name), notes
    except (otio.exceptions.OTIOError, ValueError) as error:  # a timeline the adapter refuses: drama's fault, said so
        raise ExportError(f"the {adapter.label} adapter refused the timeline: {error}",
                          hint="this is a bug in drama's hand-off; --format otio writes the whole timeline") from None
