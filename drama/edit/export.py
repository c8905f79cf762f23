"""Export an episode: exports/<episode>.mp4 (H.264 + AAC, subtitles burned in), .srt, .ass and .otio.

Everything is built in a scratch folder and renamed into exports/ only when finished, so a crash or Ctrl-C
never leaves a half-written export. A stamp beside the export records the hash of everything that went in;
exporting again with the same inputs is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel
from rich.progress import Progress

from drama import atomic
from drama.edit.assemble import analyse_audio, encode, write_dialogue_stem
from drama.edit.loudness import Loudness, analysis_filter, measure_file, normalise_filter, parse_loudnorm_json
from drama.edit.otio import write_otio
from drama.edit.subtitles import write_ass, write_srt
from drama.edit.timeline import Timeline, build_timeline
from drama.fonts import fontconfig_env
from drama.pipeline import PreparedEpisode
from drama.project import Project
from drama.render import Candidate, StateStore
from drama.render.request import renderable
from drama.storyboard.model import Storyboard
from engine.video import ffmpeg_exe

EXPORT_VERSION = 2  # bump when the export's output changes for the same inputs


class ExportResult(BaseModel):
    episode: str
    mp4: Path
    srt: Path
    ass: Path
    otio: Path
    duration: float  # seconds
    width: int
    height: int
    fps: float
    loudness: Loudness  # measured on the finished file
    seconds: float  # wall time of the export
    skipped: bool = False  # nothing changed since the last export


def export_paths(project: Project, episode: str) -> dict[str, Path]:
    folder = project.exports_dir
    return {kind: folder / f"{episode}.{kind}" for kind in ("mp4", "srt", "ass", "otio")} | \
        {"stamp": folder / f".{episode}.stamp.json"}


def _file_state(path: Path) -> list[object]:
    try:
        stat = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), stat.st_size, stat.st_mtime_ns]


def inputs_hash(timeline: Timeline) -> str:
    """Hash of the timeline and of every file it reads (size + mtime), the exporter version and the ffmpeg."""
    files = [segment.take.video for segment in timeline.segments if segment.take]
    files += [take.video for segment in timeline.segments for take in segment.alternates]
    files += [clip.audio for clip in timeline.dialogue]
    files += [timeline.music.path] if timeline.music else []
    payload = {"version": EXPORT_VERSION, "ffmpeg": Path(ffmpeg_exe()).name, "timeline": timeline.model_dump(mode="json"),
               "files": [_file_state(path) for path in dict.fromkeys(files)]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def up_to_date(project: Project, timeline: Timeline) -> ExportResult | None:
    """The previous export's result if its stamp matches these inputs and its files are all there."""
    paths = export_paths(project, timeline.episode)
    try:
        stamp = json.loads(paths["stamp"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stamp.get("hash") != inputs_hash(timeline) or not all(paths[k].is_file() for k in ("mp4", "srt", "ass", "otio")):
        return None
    return ExportResult.model_validate({**stamp["result"], "skipped": True, "seconds": 0.0})


def export_episode(project: Project, timeline: Timeline, progress: Progress | None = None, *,
                   force: bool = False) -> ExportResult:
    """Write the episode's MP4, SRT, ASS and OTIO (skipped when nothing changed, unless `force`)."""
    started = time.perf_counter()
    if not force and (previous := up_to_date(project, timeline)) is not None:
        return previous
    paths = export_paths(project, timeline.episode)
    scratch_root = project.cache_dir / "export"
    scratch_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=scratch_root, prefix=f"{timeline.episode}."))
    task = progress.add_task(f"export {timeline.episode}: mixing", total=timeline.frames) if progress else None

    def step(description: str) -> None:
        if progress is not None and task is not None:
            progress.update(task, description=f"export {timeline.episode}: {description}")

    try:
        built = {kind: workdir / paths[kind].name for kind in ("mp4", "srt", "ass", "otio")}
        write_srt(timeline.cues, built["srt"])
        write_ass(timeline.cues, built["ass"], timeline.width, timeline.height)
        stem = workdir / "dialogue.f32"
        write_dialogue_stem(timeline.dialogue, timeline.duration, stem)
        step("loudness pass 1")
        measured = parse_loudnorm_json(analyse_audio(
            timeline, stem, analysis_filter(timeline.loudness_lufs, timeline.true_peak_db), workdir))
        step("encoding")
        advance = (lambda: progress.advance(task)) if progress is not None and task is not None else None
        encode(timeline, stem, normalise_filter(timeline.loudness_lufs, timeline.true_peak_db, measured),
               built["ass"] if timeline.burn_subtitles and timeline.cues else None, built["mp4"], workdir,
               fontconfig_env(project.cache_dir), on_frame=advance)
        step("measuring")
        loudness = measure_file(built["mp4"])
        write_otio(timeline, built["otio"])
        project.exports_dir.mkdir(parents=True, exist_ok=True)
        for kind in ("otio", "srt", "ass", "mp4"):
            os.replace(built[kind], paths[kind])
        result = ExportResult(episode=timeline.episode, mp4=paths["mp4"], srt=paths["srt"], ass=paths["ass"],
                              otio=paths["otio"], duration=timeline.duration, width=timeline.width,
                              height=timeline.height, fps=timeline.fps, loudness=loudness,
                              seconds=time.perf_counter() - started)
        atomic.write_json(paths["stamp"], {"hash": inputs_hash(timeline), "result": result.model_dump(mode="json")})
        step("done")
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def current_takes(project: Project, storyboard: Storyboard) -> tuple[dict[str, Candidate], dict[str, list[Candidate]]]:
    """Per shot: the pick (creator's, else best score) and every current candidate, for the timeline."""
    picks, alternates = {}, {}
    with StateStore(project) as store:
        for shot in storyboard.shots:
            if not renderable(shot) or (pick := store.pick_for(shot.id)) is None:
                continue
            picks[shot.id] = pick
            alternates[shot.id] = [c for c in store.candidates(shot.id) if not c.stale or c.id == pick.id]
    return picks, alternates


def export_current_cut(project: Project, prepared: PreparedEpisode, progress: Progress | None = None, *,
                       force: bool = False) -> ExportResult:
    """Export the episode as the state store has it now; `drama make`, `drama export` and the review page share this."""
    picks, alternates = current_takes(project, prepared.storyboard)
    timeline = build_timeline(project, prepared.storyboard, prepared.lines, picks, alternates)
    return export_episode(project, timeline, progress, force=force)
