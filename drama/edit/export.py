"""Export an episode: exports/<episode>.mp4 (H.264 + AAC, subtitles burned in), .srt, .ass and .otio.

The MP4's picture is encoded in segments, one per shot, kept in a cache (drama.edit.segments): an export encodes
only the segments whose pixels changed and joins the rest by stream copy; the sound is mixed in one pass each time.

Everything is built in a scratch folder and renamed into exports/ only when finished, so a crash or Ctrl-C
never leaves a half-written file. The four files are a set, published with a manifest beside them
(exports/.<episode>.stamp.json): the hash of everything that went in, and the size and sha256 of each file.
The manifest is invalidated before the first file is replaced and written after the last, and it is checked
on read, so a set that a kill left mixed, or a file changed by hand, is never reported "unchanged": it is
exported again. The files stay plain files where players and upload tools expect them.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, ValidationError
from rich.progress import Progress

from drama import atomic
from drama.edit.assemble import SAMPLE_RATE, analyse_audio, join, write_dialogue_stem
from drama.edit.loudness import Loudness, analysis_filter, measure_file, normalise_filter, parse_loudnorm_json
from drama.edit.media import keep_voices
from drama.edit.otio import write_otio
from drama.edit.segments import SegmentCache, encode_segments, file_state, plan_segments
from drama.edit.subtitles import write_ass, write_srt
from drama.edit.timeline import Timeline, build_timeline
from drama.errors import DramaError, ExportError, os_fault
from drama.fonts import fontconfig_env
from drama.pipeline import PreparedEpisode
from drama.project import Project
from drama.render import Candidate, StateStore
from drama.render.damage import DamagedDraw, read_draw
from drama.render.extension import extended_take
from drama.render.lipsync import synced_take
from drama.render.request import renderable
from drama.storyboard.model import Storyboard
from drama.voice import lock as voice_lock
from drama.voice.cache import VoiceCache
from drama.voice.model import VoiceLine
from engine.video import ffmpeg_exe

EXPORT_VERSION = 3  # bump when the export's output changes for the same inputs
KINDS = ("otio", "srt", "ass", "mp4")  # published in this order
SHORTER_LIMIT = 0.5  # an episode under half its last export's length replaces it only with --force


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
    segments: int = 0  # the picture's segments (one per shot)
    encoded: list[str] = []  # the shots whose segments this export encoded; the others were reused as they were


class PublishedFile(BaseModel):
    size: int
    sha256: str


class ExportStamp(BaseModel):
    """The manifest of an episode's export. `hash` (of the inputs) is None while a new set is being published;
    `result` is then still the last finished export's, so its length is known."""

    hash: str | None
    files: dict[str, PublishedFile] = {}  # stamps written before manifests had none: never up to date
    result: ExportResult
    segments: list[str] = []  # the keys of the MP4's segments (kept in the segment cache with the last export's)


def export_paths(project: Project, episode: str) -> dict[str, Path]:
    folder = project.exports_dir
    return {kind: folder / f"{episode}.{kind}" for kind in KINDS} | {"stamp": folder / f".{episode}.stamp.json"}


def _published(path: Path) -> PublishedFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return PublishedFile(size=path.stat().st_size, sha256=digest.hexdigest())


def read_stamp(project: Project, episode: str) -> ExportStamp | None:
    """The episode's export manifest, or None when there is none (or it is unreadable)."""
    try:
        return ExportStamp.model_validate_json(export_paths(project, episode)["stamp"].read_bytes())
    except (OSError, ValidationError):
        return None


def _is_published(paths: dict[str, Path], stamp: ExportStamp) -> bool:
    """Every file is there with the size and contents the manifest records (sizes first: a stat is free)."""
    if set(stamp.files) != set(KINDS):
        return False
    try:
        return all(paths[kind].stat().st_size == record.size for kind, record in stamp.files.items()) and \
            all(_published(paths[kind]) == record for kind, record in stamp.files.items())
    except OSError:
        return False


def inputs_hash(timeline: Timeline) -> str:
    """Hash of the timeline and of every file it reads (size + mtime), the exporter version and the ffmpeg."""
    files = [segment.take.video for segment in timeline.segments if segment.take]
    files += [take.video for segment in timeline.segments for take in segment.alternates]
    files += [clip.audio for clip in timeline.dialogue]
    files += [timeline.music.path] if timeline.music else []
    payload = {"version": EXPORT_VERSION, "ffmpeg": Path(ffmpeg_exe()).name, "timeline": timeline.model_dump(mode="json"),
               "files": [file_state(path) for path in dict.fromkeys(files)]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def up_to_date(project: Project, timeline: Timeline) -> ExportResult | None:
    """The previous export's result if its manifest matches these inputs and every file matches its manifest."""
    stamp = read_stamp(project, timeline.episode)
    if stamp is None or stamp.hash != inputs_hash(timeline) or not _is_published(export_paths(project, timeline.episode), stamp):
        return None
    return stamp.result.model_copy(update={"skipped": True, "seconds": 0.0, "encoded": []})


def export_episode(project: Project, timeline: Timeline, progress: Progress | None = None, *,
                   force: bool = False, incremental: bool = True) -> ExportResult:
    """Write the episode's MP4, SRT, ASS and OTIO (skipped when nothing changed, unless `force`), encoding only the
    segments of the picture that are not in the segment cache (every one, `incremental=False`). One export at a
    time per project: its holder sweeps up the scratch folders of exports that were killed."""
    started = time.perf_counter()
    if not force and (previous := up_to_date(project, timeline)) is not None:
        return previous
    paths = export_paths(project, timeline.episode)
    _check_destination(project, paths)
    scratch_root = project.cache_dir / "export"
    with atomic.exclusive(project.state_dir / "export.lock"):
        if scratch_root.is_dir():  # every export holds the lock: what is there was left by a killed one
            for leftover in scratch_root.iterdir():
                shutil.rmtree(leftover, ignore_errors=True)
        VoiceCache(project.cache_dir / "voice").sweep()
        try:
            scratch_root.mkdir(parents=True, exist_ok=True)
            workdir = Path(tempfile.mkdtemp(dir=scratch_root, prefix=f"{timeline.episode}."))
            try:
                return _build(project, timeline, paths, workdir, progress, started, incremental)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise _disk_full(project, timeline, error.filename or scratch_root) from None
            raise (os_fault(error, kind=ExportError, doing=f"export {timeline.episode}") or error) from None


def _check_destination(project: Project, paths: dict[str, Path]) -> None:
    """exports/ must be a folder drama may write, and no folder may stand where a file is published: found before
    the encode, not after it."""
    folder = project.exports_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ExportError(f"a file is where the {folder.name} folder belongs", path=folder,
                          hint=f"move the file aside (or rename it) and run again: the episode's MP4, SRT, ASS and "
                               f"OTIO are written into the folder {folder}") from None
    except OSError as error:
        raise (os_fault(error, path=folder, kind=ExportError, doing="make the exports folder") or error) from None
    for path in paths.values():
        if path.is_dir():
            raise ExportError(f"a folder is where {path.name} is published", path=path,
                              hint="move the folder aside (or rename it) and run again")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"the project folder is read-only: cannot write {folder.name}/", path=folder,
                          hint="make the project folder writable and run again")


def _build(project: Project, timeline: Timeline, paths: dict[str, Path], workdir: Path, progress: Progress | None,
           started: float, incremental: bool) -> ExportResult:
    """Build the four files in `workdir` (the segments it encodes go to the segment cache as each is finished; a
    failing ffmpeg's log is kept under .drama/logs/), then publish them."""
    task = progress.add_task(f"export {timeline.episode}: mixing", total=timeline.frames) if progress else None

    def step(description: str) -> None:
        if progress is not None and task is not None:
            progress.update(task, description=f"export {timeline.episode}: {description}")

    built = {kind: workdir / paths[kind].name for kind in ("mp4", "srt", "ass", "otio")}
    write_srt(timeline.cues, built["srt"])
    write_ass(timeline.cues, built["ass"], timeline.width, timeline.height)
    stem = workdir / "dialogue.f32"
    write_dialogue_stem(timeline.dialogue, timeline.duration, stem)
    step("loudness pass 1")
    try:
        analysis = analyse_audio(timeline, stem, analysis_filter(timeline.loudness_lufs, timeline.true_peak_db), workdir)
    except DramaError as error:
        if error.path is not None:  # a file of the project, said as such
            raise
        raise _ffmpeg_failed(project, timeline, error.message, error.hint or "", workdir) from None  # ffmpeg's words
    measured = parse_loudnorm_json(analysis)
    segments, cache = plan_segments(timeline), SegmentCache(project, timeline.episode)
    todo = [segment for segment in segments if not (incremental and cache.holds(segment))]
    step(f"encoding {len(todo)} of {len(segments)} segments")
    if progress is not None and task is not None:
        progress.advance(task, timeline.frames - sum(segment.frames for segment in todo))
    advance = (lambda: progress.advance(task)) if progress is not None and task is not None else None
    try:
        encode_segments(timeline, todo, cache, workdir, fontconfig_env(project.cache_dir), on_frame=advance)
        step("joining")
        join(timeline, [cache.path(segment) for segment in segments], stem,
             normalise_filter(timeline.loudness_lufs, timeline.true_peak_db, measured), built["mp4"], workdir)
    except DramaError as error:
        if error.path is None or workdir not in error.path.parents:  # not ffmpeg's log: a take, a voice line …
            raise
        raise _ffmpeg_failed(project, timeline, error.message,
                             error.path.read_text(encoding="utf-8", errors="replace"), workdir) from None
    step("measuring")
    loudness = measure_file(built["mp4"])
    write_otio(keep_voices(project, timeline), built["otio"])  # its voice lines are the project's, not the cache's
    result = ExportResult(episode=timeline.episode, mp4=paths["mp4"], srt=paths["srt"], ass=paths["ass"],
                          otio=paths["otio"], duration=timeline.duration, width=timeline.width,
                          height=timeline.height, fps=timeline.fps, loudness=loudness,
                          seconds=time.perf_counter() - started, segments=len(segments),
                          encoded=[segment.shot_id for segment in todo])
    previous = read_stamp(project, timeline.episode)
    stamp = ExportStamp(hash=inputs_hash(timeline), files={kind: _published(built[kind]) for kind in KINDS},
                        result=result, segments=[segment.key for segment in segments])
    _publish(project, timeline.episode, built, stamp)
    cache.keep_only(set(stamp.segments) | set(previous.segments if previous is not None else []))
    step("done")
    return result


_PROBLEM = re.compile(r"error|invalid|no such|not found|cannot|could not|couldn't|failed|unable|denied|unknown|"
                      r"unsupported|no space|too large|not supported", re.IGNORECASE)
_CONTEXT = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")  # "[vost#0:0 @ 0x5633…] ": which part of ffmpeg said it


def ffmpeg_problem(log: str, lines: int = 4) -> list[str]:
    """The last few lines of an ffmpeg log that say what went wrong (else its last lines), not the whole log."""
    text = [_CONTEXT.sub("", line.strip()) for line in log.splitlines() if line.strip()]
    said = [line for line in text if _PROBLEM.search(line) and not line.startswith("configuration:")]
    return [line[:200] for line in list(dict.fromkeys(said or text))[-lines:]]


def _ffmpeg_failed(project: Project, timeline: Timeline, message: str, log: str, workdir: Path) -> ExportError:
    """ffmpeg's failure said in a few lines (files of the scratch folder, which is deleted, by name only), with its
    whole log kept where it can still be read."""
    if "No space left on device" in log:
        return _disk_full(project, timeline, project.cache_dir / "export")
    kept = project.state_dir / "logs" / f"export-{timeline.episode}.log"
    atomic.write_text(kept, log)
    said = " / ".join(ffmpeg_problem(log.replace(f"{workdir}{os.sep}", ""))) or "ffmpeg said nothing"
    return ExportError(f"{message}: {said}", path=kept,
                       hint=f"fix what ffmpeg names and run again; what it said is kept in {kept}")


def _disk_full(project: Project, timeline: Timeline, where: Path | str) -> ExportError:
    """The export's full disk, with the room it wants: the dialogue stem plus the MP4 (as large as the last export's,
    else a guess of 0.1 bit per pixel of H.264 and 160 kb/s of AAC) twice: once in segments, kept in the segment
    cache, and once joined."""
    stamp = read_stamp(project, timeline.episode)
    mp4 = stamp.files["mp4"].size if stamp is not None and "mp4" in stamp.files else \
        timeline.duration * (timeline.width * timeline.height * timeline.fps * 0.1 + 160_000) / 8
    needed = timeline.duration * SAMPLE_RATE * 4 + mp4 * 2  # float32 samples, the segments and the joined MP4
    free = shutil.disk_usage(project.state_dir).free
    short = math.ceil(max(needed - free, needed / 4) / 1e6)
    return ExportError(f"disk full while writing {where}: free {short} MB and run again",
                       hint=f"the export of {timeline.episode} needs about {math.ceil(needed / 1e6)} MB; "
                            f"{free // 1_000_000} MB are free on that disk now")


def _publish(project: Project, episode: str, built: dict[str, Path], stamp: ExportStamp) -> None:
    """Move the built files into exports/: the old manifest stops vouching for anything before the first file
    is replaced, and the new one is written after the last, so a kill in between leaves no valid manifest."""
    paths = export_paths(project, episode)
    project.exports_dir.mkdir(parents=True, exist_ok=True)
    if (previous := read_stamp(project, episode)) is not None:
        atomic.write_text(paths["stamp"], previous.model_copy(update={"hash": None}).model_dump_json(indent=2))
    for kind in KINDS:
        os.replace(built[kind], paths[kind])
    atomic.write_text(paths["stamp"], stamp.model_dump_json(indent=2))


def current_takes(project: Project, storyboard: Storyboard, lines: list[VoiceLine] = ()) -> \
        tuple[dict[str, Candidate], dict[str, list[Candidate]]]:
    """Per shot: the take to cut — the pick (creator's, else best score), or the lip-synced pass over it with the
    shot's line as it is now (drama.render.lipsync), or its extension to the shot's length (drama.render.extension) —
    and every current candidate, for the timeline."""
    spoken = {line.shot_id: line for line in lines}
    picks, alternates = {}, {}
    with StateStore(project) as store:
        for shot in storyboard.shots:
            if not renderable(shot) or (pick := store.pick_for(shot.id)) is None:
                continue
            picks[shot.id] = (synced_take(store, shot.id, pick, spoken.get(shot.id))
                              or extended_take(store, shot.id, pick) or pick)
            alternates[shot.id] = [c for c in store.candidates(shot.id) if not c.stale or c.id == pick.id]
    return picks, alternates


def screenplay_file(project: Project, storyboard: Storyboard) -> Path:
    """The file an episode is planned from, for error messages (the episodes folder if no file can be told)."""
    if sources := [shot.source_file for shot in storyboard.shots if shot.source_file]:
        return sources[0]
    files = project.screenplay_files()
    return next((path for path in files if path.stem == storyboard.episode), None) or \
        next((path for path in files if storyboard.episode.startswith(f"{path.stem}-")), project.episodes_dir)


def check_replaceable(project: Project, storyboard: Storyboard, *, force: bool = False) -> None:
    """Refuse to export an episode without shots, and (unless `force`) one under half as long as its last export:
    far likelier a screenplay cut by mistake than a cut, and the finished export is kept."""
    screenplay, stamp = screenplay_file(project, storyboard), read_stamp(project, storyboard.episode)
    kept = f"; {project.exports_dir.name}/{storyboard.episode}.mp4 is kept" if stamp is not None else ""
    if not storyboard.shots:  # a screenplay without a scene is refused when it is planned
        raise ExportError(f"episode {storyboard.episode} has no shots: nothing to export",
                          path=screenplay, hint=f"write its scenes (or restore the file){kept}")
    if not force and stamp is not None and storyboard.duration < SHORTER_LIMIT * stamp.result.duration:
        raise ExportError(f"episode {storyboard.episode} is now {storyboard.duration:.1f}s, under half its last export "
                          f"({stamp.result.duration:.1f}s){kept}", path=screenplay,
                          hint="if the episode is meant to be this short, run again with --force")


def current_timeline(project: Project, prepared: PreparedEpisode) -> Timeline:
    """The episode as the state store has it now (the cut `drama export` would encode), its picks checked whole."""
    picks, alternates = current_takes(project, prepared.storyboard, prepared.lines)
    for shot_id, pick in picks.items():
        try:
            read_draw(pick.path, pick.key)
        except DamagedDraw as damage:
            raise ExportError(f"the take {pick.id} of shot {shot_id} is damaged: {damage}", path=pick.path,
                              hint="`drama render` (or `drama make`) sets it aside and draws it again") from None
    return build_timeline(project, prepared.storyboard, prepared.lines, picks, alternates)


def export_current_cut(project: Project, prepared: PreparedEpisode, progress: Progress | None = None, *,
                       force: bool = False, incremental: bool = True) -> ExportResult:
    """Export the episode as the state store has it now; `drama make`, `drama export` and the review page share this.
    `force` exports even when nothing changed, or when the episode is far shorter than its last export;
    `incremental=False` encodes every segment of the picture anew."""
    storyboard = prepared.storyboard
    check_replaceable(project, storyboard, force=force)
    timeline = current_timeline(project, prepared)
    with voice_lock.exporting(project, storyboard.episode, prepared.lines):  # no line off a locked voice; lock new ones
        return export_episode(project, timeline, progress, force=force, incremental=incremental)
