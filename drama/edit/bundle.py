"""A self-contained hand-off: the OTIO timeline with media paths relative to itself, and the media it uses —
the takes (the picks, or every draw with alternates), the voice lines, the music, the title-card stills.

Two layouts of the same thing, as OpenTimelineIO's file bundles lay them out: `.otioz`, a zip an editor moves
as one file (`content.otio`, `version.txt`, `media/…`; media stored uncompressed), and `.otiod`, the same
as a folder. Either opens with `otio.adapters.read_from_file`; the relative URLs resolve against the bundle's
folder (for an .otioz, the folder it is unpacked to: `read_from_file(path, extract_to_directory=DIR)`).
Unlike OTIO's own otioz writer, every alternate take of a clip travels with it, and two takes that are both
called video.mp4 keep apart.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import opentimelineio as otio
from opentimelineio.adapters import file_bundle_utils

from drama.edit.otio import build_otio
from drama.edit.timeline import Timeline

MEDIA = file_bundle_utils.BUNDLE_DIR_NAME  # "media"


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


def bundle_media(timeline: Timeline, stills: Mapping[str, Path]) -> dict[Path, PurePosixPath]:
    """Each file the timeline uses → its place inside the bundle (posix, relative), every name distinct."""
    places: dict[Path, PurePosixPath] = {}
    for segment in timeline.segments:
        for take in segment.alternates:
            places[take.video] = PurePosixPath(MEDIA, "video", f"{segment.index + 1:02d}-{_safe(segment.shot_id)}",
                                               f"{_safe(take.id)}{take.video.suffix}")
        if segment.shot_id in stills:
            places[stills[segment.shot_id]] = PurePosixPath(MEDIA, "cards", stills[segment.shot_id].name)
    for clip in timeline.dialogue:
        places[clip.audio] = PurePosixPath(MEDIA, "voice", clip.audio.name)
    if timeline.music is not None:
        places[timeline.music.path] = PurePosixPath(MEDIA, "music", timeline.music.path.name)
    return places


def bundle_timeline(timeline: Timeline, stills: Mapping[str, Path]) -> tuple[str, dict[Path, PurePosixPath]]:
    """The bundle's content.otio (media named by relative URLs) and where each file goes."""
    places = bundle_media(timeline, stills)
    result = build_otio(timeline, url=lambda path: otio.url_utils.url_from_filepath(str(places[path])), stills=stills)
    return otio.adapters.write_to_string(result, "otio_json"), places


def write_folder(timeline: Timeline, stills: Mapping[str, Path], folder: Path) -> int:
    """The bundle laid out in `folder` (an .otiod); the bytes of media copied."""
    content, places = bundle_timeline(timeline, stills)
    size = 0
    for source, place in places.items():
        target = folder.joinpath(*place.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        size += target.stat().st_size
    (folder / file_bundle_utils.BUNDLE_VERSION_FILE).write_text(file_bundle_utils.BUNDLE_VERSION, encoding="utf-8")
    (folder / file_bundle_utils.BUNDLE_PLAYLIST_PATH).write_text(content, encoding="utf-8")
    return size


def write_zip(timeline: Timeline, stills: Mapping[str, Path], path: Path) -> int:
    """The bundle as one zip at `path` (an .otioz); the bytes of media stored."""
    content, places = bundle_timeline(timeline, stills)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(file_bundle_utils.BUNDLE_VERSION_FILE, file_bundle_utils.BUNDLE_VERSION,
                         compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(file_bundle_utils.BUNDLE_PLAYLIST_PATH, content, compress_type=zipfile.ZIP_DEFLATED)
        for source, place in places.items():
            archive.write(source, str(place), compress_type=zipfile.ZIP_STORED)
    return sum(source.stat().st_size for source in places)
