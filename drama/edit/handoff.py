"""`drama export --format …`: the current cut handed to the editor a team finishes in, instead of the MP4.

| format            | written                                   | by                                 |
|-------------------|-------------------------------------------|------------------------------------|
| jianying, capcut  | a draft folder `<title> <episode>/`        | pyJianYingDraft / pycapcut (`jianying.py`) |
| fcp7, fcpxml, edl | `<episode>.xml` / `.fcpxml` / `.edl` + `.srt` | OpenTimelineIO's adapter plugins (`interchange.py`) |
| otio              | `<episode>.otio`                          | OpenTimelineIO                     |
| otioz, otiod      | `<episode>.otioz` zip / `.otiod` folder with the media | `bundle.py`             |

Every format reads the voice lines from copies inside the project (exports/media/<episode>/voice/), never from
.drama/cache. Everything lands in `--to` (default exports/handoff/, drafts in exports/handoff/<editor>/) whole or not at all: a file is renamed into
place when written, a folder when filled, replacing what was there only then.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel

from drama import atomic
from drama.edit import bundle, interchange, jianying
from drama.edit.media import card_stills, keep_voices
from drama.edit.subtitles import write_srt
from drama.edit.timeline import Timeline
from drama.errors import ExportError, os_fault
from drama.project import Project

HandoffFormat = Literal["jianying", "capcut", "fcp7", "fcpxml", "edl", "otio", "otioz", "otiod"]
FORMATS: tuple[str, ...] = get_args(HandoffFormat)
BUNDLES = ("otioz", "otiod")  # the formats that copy the takes, and so the only ones --alternates changes


class HandoffResult(BaseModel):
    episode: str
    format: HandoffFormat
    path: Path  # the file, draft folder or bundle written
    extra: list[Path] = []  # written beside it (the SRT of an XML or EDL)
    media_bytes: int = 0  # media copied into a bundle or draft
    notes: list[str] = []  # what the format could not carry
    seconds: float = 0.0  # wall time


def default_folder(project: Project, fmt: HandoffFormat) -> Path:
    """exports/handoff/, drafts in a folder per editor (both name a draft after the episode)."""
    return project.exports_dir / "handoff" / (fmt if fmt in ("jianying", "capcut") else "")


def picks_only(timeline: Timeline) -> Timeline:
    """The timeline with each shot's pick as its only take."""
    return timeline.model_copy(update={"segments": [
        segment.model_copy(update={"alternates": [segment.take] if segment.take else []})
        for segment in timeline.segments]})


def _writable(folder: Path) -> None:
    """`folder` exists (made if missing) and drama may write there: said before anything is built."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ExportError("a file is where the hand-off folder belongs", path=folder,
                          hint="give --to a folder (or move the file aside) and run again") from None
    except OSError as error:
        raise (os_fault(error, path=folder, kind=ExportError, doing="make the hand-off folder") or
               ExportError(f"cannot make the hand-off folder: {error.strerror}", path=folder,
                           hint="give --to a folder drama can make and write, and run again")) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError("the hand-off folder is not writable", path=folder,
                          hint="make it writable, or give --to another folder, and run again")


@contextmanager
def _staged(path: Path) -> Iterator[Path]:
    """A new empty folder beside `path` (same file system, so it can be renamed over it); removed if left there."""
    staged = path.parent / f".{path.name}.{secrets.token_hex(4)}.partial"
    staged.mkdir()
    try:
        yield staged
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _replace_dir(staged: Path, path: Path) -> None:
    """Put the finished folder `staged` at `path`, replacing the one there only now."""
    old = path.parent / f".{path.name}.{secrets.token_hex(4)}.old"
    if path.exists():
        os.rename(path, old)
    os.rename(staged, path)
    shutil.rmtree(old, ignore_errors=True)


def _draft_name(timeline: Timeline) -> str:
    return re.sub(r'[\\/:*?"<>|]+', "_", f"{timeline.title or timeline.project} {timeline.episode}").strip(" .")


def export_handoff(project: Project, timeline: Timeline, fmt: HandoffFormat, *, to: Path | None = None,
                   alternates: bool = False) -> HandoffResult:
    """Write the cut in `fmt` into `to` (default exports/handoff/). Bundles carry the picks only unless
    `alternates`; the OTIO names every take wherever it is."""
    started = time.perf_counter()
    folder = (to or default_folder(project, fmt)).resolve()
    _writable(folder)
    if fmt in BUNDLES and not alternates:
        timeline = picks_only(timeline)
    try:
        timeline = keep_voices(project, timeline)
        result = _write(project, timeline, fmt, folder)
    except FileNotFoundError as error:  # a take, line or music file gone since the cut was read
        raise ExportError("a file the cut uses is missing", path=error.filename,
                          hint="drama render PROJECT draws missing takes again (drama voice PROJECT speaks lines); "
                               "then run again") from None
    except OSError as error:
        raise (os_fault(error, kind=ExportError, doing=f"write the {fmt} hand-off") or error) from None
    if alternates and fmt not in BUNDLES:
        result.notes.append(f"--alternates changes only otioz and otiod: {fmt} " +
                            ("names every take anyway" if fmt == "otio" else "holds the picks"))
    return result.model_copy(update={"seconds": time.perf_counter() - started})


def _write(project: Project, timeline: Timeline, fmt: HandoffFormat, folder: Path) -> HandoffResult:
    episode = timeline.episode
    if fmt in ("jianying", "capcut"):
        jianying.library(fmt)  # said before any media is copied
        path = folder / _draft_name(timeline)
        with _staged(path) as staged:
            notes = jianying.write_draft(timeline, fmt, card_stills(project, timeline, text=False), staged,
                                         path.name, path)
            size = sum(file.stat().st_size for file in (staged / path.name / "media").rglob("*") if file.is_file())
            _replace_dir(staged / path.name, path)
        if dropped := sum(len(segment.alternates) - 1 for segment in timeline.segments if segment.alternates):
            notes.insert(0, f"{dropped} alternate take(s) left out: a draft holds one take per shot (the pick)")
        return HandoffResult(episode=episode, format=fmt, path=path, media_bytes=size, notes=notes)
    stills = card_stills(project, timeline)
    if fmt in BUNDLES:
        path = folder / f"{episode}.{fmt}"
        if fmt == "otiod":
            with _staged(path) as staged:
                size = bundle.write_folder(timeline, stills, staged)
                _replace_dir(staged, path)
        else:
            partial = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
            try:
                size = bundle.write_zip(timeline, stills, partial)
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)
        return HandoffResult(episode=episode, format=fmt, path=path, media_bytes=size)
    text, notes = interchange.to_string(timeline, fmt, stills)
    path = folder / f"{episode}{interchange.ADAPTERS[fmt].suffix}"
    atomic.write_text(path, text)
    extra = []
    if fmt != "otio":
        extra.append(folder / f"{episode}.srt")
        write_srt(timeline.cues, extra[0])
    return HandoffResult(episode=episode, format=fmt, path=path, extra=extra, notes=notes)
