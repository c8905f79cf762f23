"""Running render jobs on this machine: skip what is already rendered, render the rest one at a time into
a temporary folder that is renamed into renders/<key>/ only once video, poster, scores and candidate.json are
all written. Ctrl-C or a crash at any moment leaves no partial candidate; rerunning finishes what is missing.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from rich.progress import Progress, TaskID

from drama.atomic import StagedDir, exclusive, write_json
from drama.errors import DramaError, EngineError, RenderError, did_you_mean, os_fault
from drama.project import Project
from drama.project.project import toml_line
from drama.project.secrets import load_secrets
from drama.render.controls import PREVIZ, control_job, stored_controls, wants_controls
from drama.render.damage import CANDIDATE_FILE, DamagedDraw, read_draw, set_aside
from drama.render.draw import Drawn
from drama.render.draw import draw as draw_clip
from drama.render.jobs import Job, shot_jobs
from drama.render.pool import InProcess, ProcessPool, Runner, machine_cores
from drama.render.request import renderable
from drama.render.remote import RemoteEvent, RemoteRun
from drama.render.state import Candidate, StateStore, WantedDraws
from drama.storyboard.model import Shot, Storyboard
from drama.voice.cache import VoiceCache
from engine.api import Clip, Control, Engine
from engine.remote import RemoteEngine
from engine.registry import UnknownEngineError, engine_class, get_engine


class JobResult(BaseModel):
    shot_id: str
    draw: int
    seed: int
    key: str
    status: Literal["rendered", "cached", "failed", "skipped"]  # skipped: over budget, or the shot scored enough
    seconds: float = 0.0
    score: float | None = None
    error: str | None = None


class RenderReport(BaseModel):
    episode: str
    engine: str
    results: list[JobResult]
    seconds: float
    keyframe_engine: str | None = None  # the image engine the keyframes were drawn on (two-stage drawing)
    undrawn: dict[str, str] = {}  # shots whose video was not drawn, and why (no keyframe, nothing to continue)
    notes: list[str] = []  # what the run wants the creator to know: where it drew, what it did not use

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.status == "failed"]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


def resolve_engine(name: str, project: Project | None = None) -> type[Engine]:
    """The engine class for a name, or a DramaError that lists the engines there are (at drama.toml's line when
    the name is the `project`'s [render] engine)."""
    try:
        return engine_class(name)
    except UnknownEngineError as error:
        hint = did_you_mean(name, error.known) or "set [render] engine in drama.toml or pass --engine"
        where: dict = {}
        if project is not None and name == project.config.render.engine:
            path = project.root / "drama.toml"
            where = {"path": path, "line": toml_line(path.read_text(encoding="utf-8-sig"), ("render", "engine"))}
        raise EngineError(f"unknown engine {name!r}; available engines: {', '.join(error.known)}", hint=hint,
                          **where) from None
    except (ImportError, AttributeError) as error:  # a missing dependency, or a half-installed engine
        raise DramaError(f"engine {name!r} cannot be loaded: {error}", hint="check the engine's dependencies") from None


def plan_jobs(project: Project, storyboard: Storyboard, *, draws: int, shot_ids: list[str] | None = None,
              engine: str, wanted: dict[str, WantedDraws] | None = None, store: StateStore | None = None,
              first_frames: dict[str, Path] | None = None) -> list[Job]:
    """Every job of the episode (or of the given shots) for draws 0..draws-1, or more where more are `wanted`
    (`StateStore.wanted`); title cards have none. Only builds: previz controls the draws follow must be rendered
    already (`render_controls`), and the image each shot starts from is given (`first_frames`, by shot id:
    drama.render.continuity). With the state store, a draw it holds for the shot's current version stays that
    draw (one migrated from schema-1 ids keeps the seed its old id gave it)."""
    cls = resolve_engine(engine, project)
    jobs = []
    for shot in selected_shots(storyboard, shot_ids):
        asked = (wanted or {}).get(shot.id)
        planned = shot_jobs(project, storyboard.episode, shot, range(max(draws, asked.draws if asked else 0)), engine,
                            cls.version, _rendered_controls(project, shot, engine), (first_frames or {}).get(shot.id))
        jobs += _as_drawn(planned, store) if store is not None else planned
    return jobs


def selected_shots(storyboard: Storyboard, shot_ids: list[str] | None = None) -> list[Shot]:
    """The renderable shots of the episode, or of the given ids (unknown ids and title cards refused)."""
    shots = [s for s in storyboard.shots if renderable(s)]
    if shot_ids:
        known = {s.id: s for s in storyboard.shots}
        for shot_id in shot_ids:
            if shot_id not in known:
                raise DramaError(f"no shot {shot_id!r} in episode {storyboard.episode}",
                                 hint=did_you_mean(shot_id, known) or "`drama status PROJECT` lists the shot ids")
            if not renderable(known[shot_id]):
                raise DramaError(f"shot {shot_id!r} is a title card; title cards are drawn by the edit, not rendered")
        shots = [s for s in shots if s.id in set(shot_ids)]
    return shots


def _as_drawn(jobs: list[Job], store: StateStore) -> list[Job]:
    """The jobs of one shot, each replaced by the draw the store already holds for that draw of this version."""
    if not jobs:
        return jobs
    drawn = {c.draw: c for c in store.candidates(jobs[0].shot_id) if c.shot_key == jobs[0].shot_key}
    return [job if (held := drawn.get(job.draw)) is None or held.key == job.key else
            job.model_copy(update={"seed": held.seed, "key": held.key,
                                   "request": job.request.model_copy(update={"seed": held.seed})})
            for job in jobs]


def _settle_wanted(store: StateStore, wanted: dict[str, WantedDraws], results: list[JobResult]) -> None:
    """The requests this render planned for are done where all their draws exist now."""
    have: dict[str, set[int]] = {}
    for result in results:
        if result.status != "failed":
            have.setdefault(result.shot_id, set()).add(result.draw)
    for shot_id, request in wanted.items():
        if set(range(request.draws)) <= have.get(shot_id, set()):
            store.drawn(shot_id, request)


def _rendered_controls(project: Project, shot: Shot, engine: str) -> tuple[Control, ...]:
    controls = stored_controls(project, shot, engine)
    if controls is None:
        raise DramaError(f"the previz control of shot {shot.id} is not rendered",
                         hint="render_controls runs before the jobs are built")
    return controls


def render_controls(project: Project, shots: list[Shot], engine: str) -> None:
    """The controls stage (`[render] control = "previz"`): render the previz draws the draws of `shots` on
    `engine` follow, unless they are in the cache. Runs before jobs are built; these draws are not candidates."""
    if wants_controls(project, engine):
        render_previz_controls(project, shots)


def render_previz_controls(project: Project, shots: list[Shot]) -> None:
    """The previz draws of `shots` that controls come from (`drama.render.controls.control_job`), unless cached."""
    missing = [job for job in (control_job(project, shot) for shot in shots if renderable(shot))
               if load_candidate(project, job.key) is None]
    if not missing:
        return
    with render_lock(project):
        previz = get_engine(PREVIZ)
        for job in missing:
            if load_candidate(project, job.key) is not None:  # another process drew it meanwhile
                continue
            try:
                run_job(project, previz, job)
            except Exception as error:  # the generative draws cannot be planned without it
                raise DramaError(f"the previz control of shot {job.shot_id} failed: {type(error).__name__}: {error}",
                                 path=project.root / "drama.toml",
                                 hint='fix the shot, or set [render] control = "none"') from error


def candidate_dir(project: Project, key: str) -> Path:
    return project.renders_dir / key


def load_candidate(project: Project, key: str) -> Candidate | None:
    """The finished candidate in renders/<key>/, or None when there is none. The folder is checked first
    (drama.render.damage); a damaged one is moved aside with a warning, so the draw is rendered again."""
    folder = candidate_dir(project, key)
    if not folder.is_dir():
        return None
    try:
        draw = read_draw(folder, key)
    except DamagedDraw as damage:
        set_aside(folder, damage)
        return None
    return Candidate(**draw.model_dump(exclude={"score"}), path=folder, score=draw.score.total, parts=draw.score.parts)


@contextmanager
def render_lock(project: Project) -> Iterator[None]:
    """One render at a time per project; whoever holds the lock sweeps up the draw folders a killed render left,
    and the voice cache's temporary files when no voice is being written."""
    with exclusive(project.state_dir / "render.lock"):
        if project.renders_dir.is_dir():
            for leftover in project.renders_dir.glob(".*.partial"):
                shutil.rmtree(leftover, ignore_errors=True)
        VoiceCache(project.cache_dir / "voice").sweep()
        yield


def _record(job: Job, drawn: Drawn) -> dict:
    """candidate.json: the job, what the draw left and how it scored."""
    record = {
        "id": job.candidate_id, "key": job.key, "shot_key": job.shot_key, "episode": job.episode,
        "shot_id": job.shot_id, "draw": job.draw, "seed": job.seed,
        "engine": job.engine, "engine_version": job.engine_version,
        "request": job.request.model_dump(mode="json"),
        "clip": drawn.clip, "score": drawn.score.model_dump(mode="json"), "timings": drawn.timings,
        "created": time.time(),
    }
    if drawn.ran_on is not None:
        record["ran_on"] = drawn.ran_on
    return record


def _publish(project: Project, job: Job, staged: StagedDir, drawn: Drawn) -> Candidate:
    """Write candidate.json into the staged folder and rename it into renders/<key>/."""
    write_json(staged.tmp / CANDIDATE_FILE, _record(job, drawn))
    staged.promote()
    candidate = load_candidate(project, job.key)
    if candidate is None:  # a damaged folder was in the way of the rename: it is set aside now
        raise RuntimeError(f"{candidate_dir(project, job.key)} was damaged; it is set aside, run again to draw it")
    return candidate


def run_job(project: Project, engine: Engine, job: Job, *, draw: Callable[[Path], Clip] | None = None) -> Candidate:
    """Render, score and publish one draw in this process; the folder appears complete or not at all.
    `draw(folder)` makes the clip (default: the engine renders it; a remote engine's result is fetched instead)."""
    staged = StagedDir(candidate_dir(project, job.key))
    try:
        return _publish(project, job, staged, draw_clip(engine, job.request, staged.tmp, make=draw))
    finally:
        staged.discard()


def render_jobs(project: Project, jobs: list[Job], *, store: StateStore, progress: Progress | None = None,
                runner: Runner | None = None) -> list[JobResult]:
    """Render what is missing of `jobs` (the local engines' on `runner`, default: in this process, one at a time);
    an engine failure on one job is recorded and the others go on."""
    results: dict[str, JobResult] = {}
    pending: list[Job] = []
    for job in jobs:
        found = load_candidate(project, job.key)
        if found is None:
            if store.has_candidate(job.key):  # a damaged draw set aside, or a folder deleted by hand: drawn again
                store.forget_candidate(job.key)
            pending.append(job)
            continue
        if not store.has_candidate(job.key):  # rendered by a run killed before it reached the database
            store.add_candidate(found)
        results[job.key] = JobResult(shot_id=job.shot_id, draw=job.draw, seed=job.seed, key=job.key,
                                     status="cached", score=found.score)
    overall: TaskID | None = None
    if progress is not None:
        overall = progress.add_task("all shots", total=len(jobs), completed=len(jobs) - len(pending))
    remote = [job for job in pending if issubclass(resolve_engine(job.engine), RemoteEngine)]
    pending = [job for job in pending if job not in remote]
    if remote:
        with render_lock(project):
            for name in dict.fromkeys(job.engine for job in remote):
                batch = [job for job in remote if job.engine == name]
                on_event = _remote_progress(progress, overall, batch) if progress is not None else None
                results.update(_run_remote(project, name, batch, store, on_event))
    if pending:
        with render_lock(project):
            results.update(_draw_all(project, pending, store, runner or InProcess(), progress, overall))
    return [results[job.key] for job in jobs]


def _run_remote(project: Project, name: str, jobs: list[Job], store: StateStore,
                on_event: Callable[[RemoteEvent], None] | None) -> dict[str, JobResult]:
    """Jobs of one remote engine through its task queue (drama/render/remote.py)."""
    load_secrets(project)
    engine = get_engine(name, **project.engine_options(name))

    def publish(job: Job, fetch: Callable[[Path], Clip]) -> float:
        candidate = run_job(project, engine, job, draw=fetch)
        store.add_candidate(candidate)
        return candidate.score

    run = RemoteRun(project, store, engine, concurrency=project.config.engine_settings(name).concurrency,
                    publish=publish, on_event=on_event)
    outcomes = run.run(jobs)
    return {job.key: JobResult(shot_id=job.shot_id, draw=job.draw, seed=job.seed, **outcomes[job.key].model_dump())
            for job in jobs}


def _remote_progress(progress: Progress, overall: TaskID | None, jobs: list[Job]) -> Callable[[RemoteEvent], None]:
    """Remote events as one bar per shot whose label counts its draws queued / running / downloading."""
    phases: dict[str, str] = {}
    bars = {shot_id: progress.add_task(f"  shot {shot_id}", total=sum(j.shot_id == shot_id for j in jobs))
            for shot_id in dict.fromkeys(job.shot_id for job in jobs)}
    shot_of = {job.key: job.shot_id for job in jobs}

    def on_event(event: RemoteEvent) -> None:
        if event.key not in shot_of:  # a task of an earlier version of a shot, collected on the side
            return
        previous = phases.get(event.key)
        phases[event.key] = event.phase
        shot_id = shot_of[event.key]
        if event.phase in ("done", "failed", "skipped", "stuck") and previous not in ("done", "failed", "skipped", "stuck"):
            progress.advance(bars[shot_id])
            if overall is not None:
                progress.advance(overall)
        counts = Counter(phase for key, phase in phases.items() if shot_of[key] == shot_id)
        label = ", ".join(f"{counts[p]} {p}" for p in ("submitting", "queued", "running", "downloading") if counts[p])
        progress.update(bars[shot_id], description=f"  shot {shot_id}" + (f" [dim]{label}[/]" if label else ""))

    return on_event


class _ShotBars:
    """One transient bar per shot being drawn, beside the overall bar; with several draws at once, several shots."""

    def __init__(self, progress: Progress | None, overall: TaskID | None, jobs: list[Job]):
        self.progress, self.overall = progress, overall
        self.left = Counter(job.shot_id for job in jobs)
        self.bars: dict[str, TaskID] = {}

    def started(self, job: Job) -> None:
        if self.progress is not None and job.shot_id not in self.bars:
            self.bars[job.shot_id] = self.progress.add_task(f"  shot {job.shot_id}", total=self.left[job.shot_id])

    def done(self, job: Job) -> None:
        self.left[job.shot_id] -= 1
        if self.progress is None:
            return
        self.progress.advance(self.overall)
        if job.shot_id in self.bars:
            self.progress.advance(self.bars[job.shot_id])
            if not self.left[job.shot_id]:
                self.progress.remove_task(self.bars.pop(job.shot_id))


def _draw_all(project: Project, jobs: list[Job], store: StateStore, runner: Runner, progress: Progress | None,
              overall: TaskID | None) -> dict[str, JobResult]:
    """Draw `jobs` on `runner` and publish each as it finishes: the folder renamed into place, then the state store
    told — here, in this process, whichever process or machine drew it."""
    results: dict[str, JobResult] = {}
    staged: dict[str, StagedDir] = {}
    started: dict[str, float] = {}
    bars = _ShotBars(progress, overall, jobs)

    def work() -> Iterator[tuple[Job, Path]]:
        for job in jobs:
            found = load_candidate(project, job.key)  # another render may have finished it while we waited
            if found is not None:
                store.add_candidate(found)
                results[job.key] = JobResult(shot_id=job.shot_id, draw=job.draw, seed=job.seed, key=job.key,
                                             status="cached", score=found.score)
                bars.done(job)
                continue
            staged[job.key] = StagedDir(candidate_dir(project, job.key))
            started[job.key] = time.perf_counter()
            bars.started(job)
            yield job, staged[job.key].tmp

    try:
        for job, outcome in runner.run(work()):
            base = dict(shot_id=job.shot_id, draw=job.draw, seed=job.seed, key=job.key)
            folder = staged.pop(job.key)
            try:
                if isinstance(outcome, Exception):
                    raise outcome
                candidate = _publish(project, job, folder, outcome)
            except Exception as error:  # one bad draw must not stop the others; KeyboardInterrupt still does
                folder.discard()
                stop = os_fault(error, kind=RenderError, doing=f"draw shot {job.shot_id}") if isinstance(error, OSError) else None
                if stop is not None:  # a full or read-only disk fails every draw after this one too: say it once and stop
                    raise stop from error
                message = f"{type(error).__name__}: {error}"
                store.record_failure(job.key, job.episode, job.shot_id, job.draw, message)
                results[job.key] = JobResult(**base, status="failed", seconds=time.perf_counter() - started[job.key],
                                             error=message)
            else:
                store.add_candidate(candidate)
                results[job.key] = JobResult(**base, status="rendered", score=candidate.score,
                                             seconds=outcome.timings["render_s"] + outcome.timings["score_s"])
            bars.done(job)
    finally:
        for folder in staged.values():  # draws under way when a fault or Ctrl-C stopped the run
            folder.discard()
    return results


def choose_runner(project: Project, engine: str, *, workers: int | None = None, cluster: str | None = None,
                  notes: list[str] | None = None) -> Runner:
    """Where a local engine's draws run: on a Ray cluster when one is given (`--cluster`, `[render] cluster`);
    else, for an engine that needs a CPU, in a pool of `workers` processes (`--workers`, `[render] workers`,
    default one per core); else (a GPU engine, or one worker) in this process. Remote engines draw through their
    provider's queue wherever this runs, so they need no cluster: `notes` says so when one was given."""
    cls = resolve_engine(engine, project)
    cluster = cluster or project.config.render.cluster
    if issubclass(cls, RemoteEngine):
        if cluster and notes is not None:
            notes.append(f"{engine} draws through its provider's task queue; the cluster {cluster} is not used")
        return InProcess()
    if cluster:
        from drama.render.cluster import RayCluster  # ray is an optional extra

        return RayCluster.connect(cluster, notes=notes)
    workers = workers or project.config.render.workers or machine_cores()
    if workers > 1 and "GPU" not in cls.resources:
        return ProcessPool(workers)
    return InProcess()


def draw_jobs(project: Project, jobs: list[Job], engine: str, *, store: StateStore, progress: Progress | None = None,
              workers: int | None = None, cluster: str | None = None, notes: list[str] | None = None) -> list[JobResult]:
    """Draw what is missing of `jobs` (all on `engine`) where `choose_runner` says, after marking the draws of
    earlier versions of their tracks stale."""
    for track, key in {job.shot_id: job.shot_key for job in jobs}.items():
        store.mark_stale(track, key)
        store.clear_failures(track)  # failures are re-recorded below if they happen again
    missing = [job for job in jobs if not candidate_dir(project, job.key).is_dir()]
    runner = choose_runner(project, engine, workers=workers, cluster=cluster, notes=notes) if missing else None
    return render_jobs(project, jobs, store=store, progress=progress, runner=runner)


Stage = Literal["keyframes", "video", "all"]


def render_shots(project: Project, storyboard: Storyboard, *, draws: int | None = None,
                 shot_ids: list[str] | None = None, engine: str | None = None, progress: Progress | None = None,
                 store: StateStore | None = None, workers: int | None = None, cluster: str | None = None,
                 stage: Stage = "all") -> RenderReport:
    """Make sure every renderable shot (or the given ones) has `draws` candidates for its current version, or as
    many as were asked for from the review page: render only the missing draws, mark candidates of earlier
    versions stale, and report per job. Draws run where `choose_runner` says. With `[render] keyframes` the
    keyframe stage draws first (`stage` "keyframes" stops there, "video" skips it) and the video draws start from
    the picked keyframes; with `[render] continuity = "chain"` chained shots are drawn after the shots they
    continue (drama.render.continuity)."""
    from drama.render.continuity import Starts, render_video
    from drama.render.keyframes import keyframe_engine, render_keyframes

    started = time.perf_counter()
    engine = engine or project.config.render.engine
    draws = draws or project.config.render.draws
    selected = selected_shots(storyboard, shot_ids)
    own_store = store is None
    store = store or StateStore(project)
    notes: list[str] = []
    undrawn: dict[str, str] = {}
    results: list[JobResult] = []
    try:
        wanted = store.wanted()
        if stage != "video" and keyframe_engine(project) is not None:
            starts = Starts(project, storyboard, store, engine)
            chained = {shot.id for shot in selected if starts.chained_to(shot) is not None}
            results += render_keyframes(project, storyboard, [shot for shot in selected if shot.id not in chained],
                                        draws=draws, wanted=wanted, store=store, progress=progress, workers=workers,
                                        cluster=cluster, notes=notes)
        if stage != "keyframes":
            render_controls(project, selected, engine)
            results += render_video(project, storyboard, selected, engine=engine, draws=draws, wanted=wanted,
                                    store=store, progress=progress, workers=workers, cluster=cluster, notes=notes,
                                    undrawn=undrawn)
        _settle_wanted(store, wanted, results)
    finally:
        if own_store:
            store.close()
    return RenderReport(episode=storyboard.episode, engine=engine, results=results,
                        seconds=time.perf_counter() - started, notes=notes, keyframe_engine=keyframe_engine(project),
                        undrawn=undrawn)
