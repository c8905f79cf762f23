"""The files an editor hand-off points at, kept inside the project: the voice lines copied out of `.drama/cache`
(which drama may clear) and each title card drawn as a still, under exports/media/<episode>/.

Names carry a digest of the content, so a line spoken again or a card re-worded gets a new file and a hand-off
written earlier keeps pointing at what it was made with.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import av
import numpy as np
from PIL import Image

from drama import atomic
from drama.edit.assemble import fit, i420_to_rgb
from drama.edit.timeline import Timeline, VideoSegment
from drama.edit.titles import card_background, draw_card
from drama.errors import ExportError
from drama.project import Project


def media_dir(project: Project, episode: str) -> Path:
    return project.exports_dir / "media" / episode


def _name(index: int, shot_id: str, data: bytes, suffix: str) -> str:
    safe = re.sub(r"[^\w.-]+", "_", shot_id)
    return f"{index:02d}-{safe}-{hashlib.sha256(data).hexdigest()[:10]}{suffix}"


def _keep(path: Path, data: bytes) -> Path:
    """Write `data` at `path` unless that file already holds it (names carry a digest: same size, same bytes)."""
    if not (path.is_file() and path.stat().st_size == len(data)):
        atomic.write_bytes(path, data)
    return path


def keep_voices(project: Project, timeline: Timeline) -> Timeline:
    """The timeline with every voice line read from a copy under exports/media/<episode>/voice/."""
    folder = media_dir(project, timeline.episode) / "voice"
    dialogue = []
    for n, clip in enumerate(timeline.dialogue, start=1):
        try:
            data = clip.audio.read_bytes()
        except OSError:
            raise ExportError(f"the voice line of shot {clip.shot_id} is missing", path=clip.audio,
                              hint="speak it again: drama voice PROJECT (or drama make PROJECT)") from None
        kept = _keep(folder / _name(n, clip.shot_id, data, clip.audio.suffix), data)
        dialogue.append(clip.model_copy(update={"audio": kept}))
    return timeline.model_copy(update={"dialogue": dialogue})


def _last_frame(segment: VideoSegment, width: int, height: int, fps: float) -> np.ndarray:
    """The segment's last frame as the export shows it (RGB at the export size): the take's frame due in the middle
    of the segment's last output frame, or its last frame if the take is shorter. Only that one is scaled."""
    assert segment.take is not None
    due = (segment.frames - 0.5) / fps
    try:
        with av.open(str(segment.take.video)) as container:
            chosen, origin = None, None
            for frame in container.decode(video=0):
                if origin is None:
                    origin = frame.time or 0.0
                if chosen is not None and (frame.time or 0.0) - origin > due + 1e-6:
                    break
                chosen = frame
    except (OSError, av.error.FFmpegError) as error:
        raise ExportError(f"cannot read take {segment.take.id} of shot {segment.shot_id}: {error}",
                          path=segment.take.video, hint="re-render the shot (drama render) or pick another take") from None
    if chosen is None:
        raise ExportError(f"take {segment.take.id} of shot {segment.shot_id} has no frames", path=segment.take.video,
                          hint="re-render the shot (drama render) or pick another take")
    return i420_to_rgb(fit(chosen, width, height), width, height)


def card_stills(project: Project, timeline: Timeline, *, text: bool = True) -> dict[str, Path]:
    """Each title card as a PNG at the export size under exports/media/<episode>/cards/: its background (black, or
    the previous shot's last frame blurred and darkened) with the text drawn as the export draws it, or without
    the text (`text=False`) for editors that set it as their own text."""
    folder = media_dir(project, timeline.episode) / "cards"
    width, height = timeline.width, timeline.height
    stills = {}
    for i, segment in enumerate(timeline.segments):
        if segment.kind != "title_card":
            continue
        previous = timeline.segments[i - 1] if i and segment.background == "blur" else None
        background = card_background(width, height, _last_frame(previous, width, height, timeline.fps)
                                     if previous is not None and previous.kind == "clip" else None)
        picture = draw_card(segment.text or "", background) if text else background
        buffer = io.BytesIO()
        Image.fromarray(picture).save(buffer, format="PNG")
        data = buffer.getvalue()
        stills[segment.shot_id] = _keep(folder / _name(segment.index + 1, segment.shot_id, data,
                                                       ".png" if text else ".background.png"), data)
    return stills
