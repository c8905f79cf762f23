"""Damaged draws: a folder under renders/ is checked when it is loaded, and one that is damaged is set aside.

A draw folder only ever appears complete (it is published by one rename), but disks fill up, files get copied
half-way and hands edit them. So before a draw is used, its candidate.json must parse with every field, and its
video.mp4 must be complete. A video is probed before it is published — the frame count in its container checked
against the packets present, without decoding (`engine.video.probe`) — and its size is recorded in candidate.json,
so on load a stat tells whether it is still those bytes (a series holds thousands of draws, each loaded by every
render). Draws recorded without a size are probed, once per file per process. A damaged folder is moved to
renders/.damaged/<key>-<time> with a warning naming it, so the draw is rendered again and nothing else stops.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from drama.render.parts import Score
from drama.render.state import Draw

CANDIDATE_FILE = "candidate.json"
DAMAGED_DIR = ".damaged"  # under renders/; kept for a look, never read back

log = logging.getLogger(__name__)


class DamagedDraw(Exception):
    """A draw folder that cannot be used; the message says what is wrong with it."""


class DrawClip(BaseModel):
    video_bytes: int | None = None  # the size video.mp4 had when it was probed and published
    still: str | None = None  # an image engine's draw: still.png, and no video
    still_bytes: int | None = None


class DrawManifest(Draw):
    """The fields of a draw's candidate.json that drama reads back (the file holds more: request, clip, timings)."""

    score: Score
    clip: DrawClip = DrawClip()


# (device, inode, mtime, size) -> what is wrong, None if nothing: a rename (publishing a draw) keeps the entry
_videos_checked: dict[tuple[int, int, int, int], str | None] = {}


def check_video(video: Path, drawn_bytes: int | None = None) -> None:
    """Raise DamagedDraw unless `video` is a complete video: still `drawn_bytes` long when that is known, else
    probed (once per process while the file is unchanged)."""
    try:
        stat = video.stat()
    except OSError:
        raise DamagedDraw(f"{video.name} is missing") from None
    if drawn_bytes is not None:
        if stat.st_size != drawn_bytes:
            raise DamagedDraw(f"{video.name} is truncated or changed: {stat.st_size} bytes, {drawn_bytes} when drawn")
        return
    memo = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if memo not in _videos_checked:
        from engine import video as videos  # numpy and PyAV: loaded only when a video is probed

        try:
            videos.probe(video)
            _videos_checked[memo] = None
        except ValueError as error:
            _videos_checked[memo] = str(error)
    if (problem := _videos_checked[memo]) is not None:
        raise DamagedDraw(problem)


def check_still(still: Path, drawn_bytes: int | None) -> None:
    """Raise DamagedDraw unless `still` is the image that was published (by size; a still is checked whole by
    decoding before it is published)."""
    try:
        size = still.stat().st_size
    except OSError:
        raise DamagedDraw(f"{still.name} is missing") from None
    if drawn_bytes is not None and size != drawn_bytes:
        raise DamagedDraw(f"{still.name} is truncated or changed: {size} bytes, {drawn_bytes} when drawn")


def read_draw(folder: Path, key: str) -> DrawManifest:
    """The manifest of the draw `key` in `folder`, once the folder is checked; raises DamagedDraw if it is not usable."""
    manifest = folder / CANDIDATE_FILE
    try:
        draw = DrawManifest.model_validate_json(manifest.read_bytes())
    except FileNotFoundError:
        raise DamagedDraw(f"{CANDIDATE_FILE} is missing") from None
    except OSError as error:
        raise DamagedDraw(f"{CANDIDATE_FILE} cannot be read: {error.strerror}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise DamagedDraw(f"{CANDIDATE_FILE} is not a draw's manifest: {where + ': ' if where else ''}{first['msg']}") \
            from None
    if draw.key != key:
        raise DamagedDraw(f"{CANDIDATE_FILE} is the manifest of draw {draw.key}, not of {key}")
    if draw.clip.still is not None:
        check_still(folder / draw.clip.still, draw.clip.still_bytes)
    else:
        check_video(folder / "video.mp4", draw.clip.video_bytes)
    if not (folder / "poster.png").is_file():
        raise DamagedDraw("poster.png is missing")
    return draw


def set_aside(folder: Path, damage: DamagedDraw) -> None:
    """Move a damaged draw folder to renders/.damaged/<key>-<time>, warning with both names (a folder another
    process has already moved is left to it)."""
    aside = folder.parent / DAMAGED_DIR / f"{folder.name}-{datetime.now():%Y%m%dT%H%M%S%f}"
    aside.parent.mkdir(exist_ok=True)
    try:
        os.rename(folder, aside)
    except FileNotFoundError:
        return
    log.warning("damaged draw %s (%s): moved to %s; it will be drawn again", folder, damage, aside)
