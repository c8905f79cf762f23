"""What the review page does to a project: read the episode's shots and draws, pick, draw more, edit a shot
and redraw, export. Every change goes straight to the project's state store (the one `drama render` uses),
so the page and a running render see each other's work; long jobs run on one background worker.

Stills are picked like draws: a shot's keyframes (its keyframe track, drama.render.tracks) by the same pick call
as its video draws, and the views of the character sheets, whose picks become the characters' references in
cast.toml (drama.render.sheets).
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from rich.progress import Progress, TaskID

from drama.edit.export import export_current_cut
from drama.errors import DramaError, did_you_mean
from drama.pipeline import PreparedEpisode, prepare_episode
from drama.project import Project
from drama.render import StateStore, render_shots
from drama.render.continuity import Starts, stale_reason
from drama.render.keyframes import image_engine, keyframe_engine, keyframe_key_now, still_of, take_in_use
from drama.render.request import renderable
from drama.render.sheets import PortraitsExist, pick_sheet, sheet_candidates, view_label
from drama.render.state import Candidate, read_only_connection
from drama.render.status import episode_status, ranked_draws, shot_key_now
from drama.render.tracks import keyframe_track, sheet_track
from drama.review.security import Refused, new_token
from drama.review.watch import ScriptWatch
from drama.storyboard import select_episodes
from drama.storyboard.model import Shot
from drama.storyboard.vocabulary import Angle, Move, ShotSize
from drama.voice.model import dual_id

MAX_DRAWS_PER_REQUEST = 12
TRACKS = ("video", "keyframe")  # what "draw more" on a shot's card draws: its video draws, or its keyframe stills


class Job(BaseModel):
    """A background task as the page sees it."""

    id: str
    kind: Literal["draw", "redraw", "stills", "export"]
    shot_id: str | None = None
    status: Literal["queued", "running", "done", "failed"] = "queued"
    done: int = 0
    total: int = 0
    error: str | None = None
    url: str | None = None
    name: str | None = None
    progress: float = 0.0


class EditForm(BaseModel):
    """The edit-shot form, checked before anything is stored."""

    prompt: str | None = None
    size: str | None = None
    angle: str | None = None
    move: str | None = None
    move_direction: Literal[-1, 1] | None = None
    duration: float | None = None
    continuity: Literal["auto", "chain", "cut"] | None = None
    count: int | None = None


class _DrawsLeft(Progress):
    """A silent progress for a render the page runs: says how many draws are still to come each time one is done
    (the render's first task counts every draw it makes)."""

    def __init__(self, left: Callable[[int], None]):
        super().__init__(disable=True)
        self._left = left

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        overall = self.tasks[0]
        if task_id == overall.id:
            self._left(int((overall.total or 0) - overall.completed))


def _file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime, size) of a file, None when there is none (an editor may be saving it by rename right now)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


class ReviewSession:
    def __init__(self, project: Project, episode_id: str, *, watch: bool = False):
        self.project = project
        self.episode_id = episode_id
        self.token = new_token()
        self._jobs: list[Job] = []
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-job")
        self._prepared: tuple[tuple, PreparedEpisode] | None = None
        self._view: tuple[tuple, dict[str, Any]] | None = None
        self._view_lock = threading.Lock()
        self._cast_lock = threading.Lock()  # one sheet pick at a time edits cast.toml
        self._store_watch: sqlite3.Connection | None = None
        self._reader: StateStore | None = None
        self._export_progress: Progress | None = None
        self._settings = self._settings_stamp()
        # with `watch`, the page follows the screenplay: drama.review.watch re-plans on every save
        self.watch = ScriptWatch(project.root, episode_id, stamp=self._inputs_stamp,
                                 storyboard=lambda: self.prepared().storyboard) if watch else None

    @classmethod
    def start(cls, project: Project, episode_id: str | None, *, watch: bool = False) -> "ReviewSession":
        """The session for the named episode, or the project's first when none is named."""
        return cls(project, select_episodes(project, episode_id)[0], watch=watch)

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
        for connection in (self._store_watch, self._reader):
            if connection is not None:
                connection.close()

    # reading

    def _inputs_stamp(self) -> tuple:
        """What the prepared episode depends on besides overrides: the files a creator may edit meanwhile, and the
        voice cache (a line voiced meanwhile times its shot)."""
        files = [self.project.root / "drama.toml", self.project.root / "cast.toml", *self.project.screenplay_files(),
                 self.project.cache_dir / "voice"]
        return tuple((str(f), stamp) for f in files if (stamp := _file_stamp(f)) is not None)

    def _settings_stamp(self) -> tuple:
        return tuple(_file_stamp(f) for f in (self.project.root / "drama.toml", self.project.root / "cast.toml"))

    def prepared(self) -> PreparedEpisode:
        settings = self._settings_stamp()
        if settings != self._settings:  # drama.toml or cast.toml saved meanwhile: plan with them as they are now
            self.project = Project.load(self.project.root)  # a broken one raises, naming its file and line
            self._settings = settings
        with self._reading() as store:
            overrides = {k: v.model_dump_json() for k, v in store.overrides().items()}
        stamp = (self._inputs_stamp(), tuple(sorted(overrides.items())))
        cached = self._prepared
        if cached is None or cached[0] != stamp:
            cached = (stamp, prepare_episode(self.project, self.episode_id))
            self._prepared = cached
        return cached[1]

    def url(self, path: Path) -> str:
        return "/media/" + path.resolve().relative_to(self.project.root.resolve()).as_posix()

    def _served(self, path: Path) -> str | None:
        """The page's URL of a file (a voice line's audio, a portrait); None for a file outside the project, which
        the page never serves."""
        return self.url(path) if path.resolve().is_relative_to(self.project.root.resolve()) else None

    def _source(self, shot: Shot) -> str:
        if shot.source_file is None or not shot.source_lines:
            return ""
        try:
            lines = Path(shot.source_file).read_text(encoding="utf-8-sig", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(f"{n:>4}  {lines[n - 1]}" for n in shot.source_lines if 0 < n <= len(lines))

    @contextmanager
    def _reading(self) -> Iterator[StateStore]:
        """The page's reads share one store connection, kept open: opening a store checks its schema in a write
        transaction, which a poll should neither do nor wait for while a render writes."""
        with self._lock:
            if self._reader is None:
                self._reader = StateStore(self.project)
        yield self._reader

    def _store_version(self) -> int | None:
        """Changes with every commit to the state store by any connection but this read-only one (SQLite's
        data_version), so a poll knows without reading whether picks, draws or overrides changed."""
        path = self.project.state_dir / "state.db"
        if self._store_watch is None:
            if not path.is_file():  # created by the first read of the page
                return None
            self._store_watch = read_only_connection(path)  # also on a read-only project
        return self._store_watch.execute("PRAGMA data_version").fetchone()[0]

    def _view_stamp(self) -> tuple:
        """Everything the page's data is read from, cheaply: input files, voices, the state store, the draws on
        disk, the settings in memory, the background jobs."""
        renders = self.project.renders_dir
        with self._lock:
            jobs = tuple(job.model_dump_json() for job in self._jobs)
        return (self._inputs_stamp(), self._store_version(), renders.stat().st_mtime_ns if renders.is_dir() else None,
                self.project.config.model_dump_json(), jobs, self._export_fraction())

    def view(self) -> dict[str, Any]:
        """The page's data as of now; polls (many tabs at once) share one build until something it reads changes."""
        with self._view_lock:
            stamp = self._view_stamp()
            if self._view is None or self._view[0] != stamp:
                self._view = (stamp, self._build_view())
            return self._view[1]

    def _build_view(self) -> dict[str, Any]:
        """The whole page's data: shots in order with their ranked draws, jobs, and the current cut. A shot's voice
        lines are its own and, for dual dialogue, the one spoken over it (`dual_id`): both belong to its card."""
        prepared = self.prepared()
        storyboard = prepared.storyboard
        lines = {line.shot_id: line for line in prepared.lines}
        with self._lock:
            jobs = list(self._jobs)
        stills_engine = keyframe_engine(self.project)
        if stills_engine is not None:
            image_engine(self.project, stills_engine)  # a misnamed one: its drama.toml line, as for the video engine
        with self._reading() as store:
            statuses = {row.shot_id: row for row in episode_status(self.project, storyboard, store)}
            starts = Starts(self.project, storyboard, store, self.project.config.render.engine)  # for stale reasons
            overrides = store.overrides()
            shots, cut = [], []
            for shot in storyboard.shots:
                status = statuses[shot.id]
                own, dual = lines.get(shot.id), lines.get(dual_id(shot.id))
                candidates = ranked_draws(store, shot.id, status.key) if renderable(shot) else []
                failures = [Job(id=f"failure-{f.key}", kind="draw", shot_id=shot.id, status="failed", error=f.error)
                            for f in store.failures(shot.id)]
                paid = [Job(id=f"task-{task.key}", kind="draw", shot_id=shot.id, name=f"{task.engine} draw "
                            f"{task.draw}: {task.state}", status="queued" if task.state in ("submitting", "queued")
                            else "running") for task in store.tasks(shot_id=shot.id)
                        if task.state in ("submitting", "queued", "running", "downloading")]
                shots.append({
                    "id": shot.id, "index": shot.index, "kind": shot.kind, "scene": shot.scene,
                    "scene_heading": shot.scene_heading, "size": shot.size.value, "size_zh": shot.size.zh,
                    "angle": shot.angle.value, "move": shot.move.value, "move_direction": shot.move_direction,
                    "continuity": shot.continuity,
                    "duration": shot.duration, "characters": [c.name for c in shot.characters],
                    "speaker": shot.speaker, "text": shot.text, "parenthetical": shot.parenthetical,
                    "voiceover": shot.voiceover, "voice": own.duration if own else None,
                    "dual": {**shot.dual.model_dump(mode="json", exclude={"spans"}),
                             "voice": dual.duration if dual else None} if shot.dual else None,
                    "action": shot.action, "props": shot.props, "extras": shot.extras, "notes": shot.notes,
                    "prompt": shot.prompt, "source_lines": shot.source_lines, "source": self._source(shot),
                    "override": overrides[shot.id].model_dump(mode="json", exclude_none=True) if shot.id in overrides else None,
                    "pick": status.pick, "pick_by": status.picked_by, "stale": status.stale,
                    "candidates": [{**self._tile(c), "video": self.url(c.video),
                                    "stale_reason": stale_reason(self.project, store, shot, c, starts=starts) if c.stale else None}
                                   for c in candidates],
                    "keyframes": self._keyframes(store, shot, stills_engine) if renderable(shot) else None,
                    "jobs": [job.model_dump() for job in jobs if job.shot_id == shot.id] +
                            [f.model_dump() for f in failures + paid],
                })
                picked = next((c for c in candidates if c.id == status.pick), None)
                cut.append({
                    "shot_id": shot.id, "kind": shot.kind, "duration": shot.duration,
                    "video": self.url(picked.video) if picked else None,
                    "audio": [url for line in (own, dual) if line and (url := self._served(line.audio))],
                    "subtitle": "\n".join(f"{speaker}: {text}" for speaker, text in
                                          ((shot.speaker, shot.text), (shot.dual.speaker, shot.dual.text)))
                                if shot.dual else shot.text or "",
                })
            cast = self._cast(store)
        export = next((job for job in reversed(jobs) if job.kind == "export"), None)
        if export is not None and export.status == "running":
            export = export.model_copy(update={"progress": self._export_fraction()})
        video = self.project.config.video
        return {
            "project": self.project.config.title, "episode": self.episode_id, "width": video.width,
            "height": video.height, "duration": storyboard.duration, "shots": shots, "cut": cut, "cast": cast,
            "export": export.model_dump() if export else None,
        }

    def _tile(self, candidate: Candidate) -> dict[str, Any]:
        """What a draw's or a still's tile shows: its score with the parts, its poster."""
        return {"id": candidate.id, "seed": candidate.seed, "draw": candidate.draw, "score": candidate.score,
                "stale": candidate.stale, "parts": [part.model_dump(mode="json") for part in candidate.parts],
                "poster": self.url(candidate.poster)}

    def _keyframes(self, store: StateStore, shot: Shot, engine: str | None) -> dict[str, Any] | None:
        """The shot's keyframe stills (stale as of the shot now) and the one its video draws start from: shown
        while `[render] keyframes` is set or the shot has stills; None otherwise."""
        track = keyframe_track(shot.id)
        key = keyframe_key_now(self.project, shot, engine) if engine is not None else None
        stills = ranked_draws(store, track, key)
        if engine is None and not stills:
            return None
        in_use = take_in_use(store, track, key)
        picked = store.creator_pick(track)
        return {"pick": in_use.id if in_use else None, "pick_by": "creator" if picked else "auto" if in_use else None,
                "candidates": [{**self._tile(c), "still": self.url(still_of(c))} for c in stills]}

    def _cast(self, store: StateStore) -> list[dict[str, Any]]:
        """The characters with sheet draws: their references now, and per view the draws and the creator's pick
        (only a pick makes references: no draw is picked automatically)."""
        cast = []
        for character in self.project.cast.character:
            views = sheet_candidates(store, character.name)
            if not any(views.values()):
                continue
            references = [self._served(self.project.root / ref) for ref in character.references]
            cast.append({"name": character.name, "references": [url for url in references if url], "views": [
                {"view": view, "label": view_label(view),
                 "pick": picked.id if (picked := store.creator_pick(sheet_track(character.name, view))) else None,
                 "candidates": [{**self._tile(c), "still": self.url(still_of(c))} for c in candidates]}
                for view, candidates in views.items()]})
        return cast

    # changing

    def _shot(self, shot_id: str) -> Shot:
        shots = {shot.id: shot for shot in self.prepared().storyboard.shots}
        if shot_id not in shots:
            raise DramaError(f"no shot {shot_id!r} in {self.episode_id}",
                             hint=did_you_mean(shot_id, shots) or "reload the page: the storyboard changed")
        return shots[shot_id]

    def pick(self, shot_id: str, candidate_id: str) -> dict[str, Any]:
        """Pick one of the shot's video draws or, the same way, one of its keyframe stills."""
        self._shot(shot_id)
        track = keyframe_track(shot_id)
        with StateStore(self.project) as store:
            still = store.candidate(candidate_id)
            chosen = store.pick(track if still is not None and still.shot_id == track else shot_id, candidate_id)
        return {"pick": chosen.id, "track": chosen.shot_id}

    def draw(self, shot_id: str, count: Any, track: Any = "video") -> dict[str, Any]:
        """Ask for `count` more draws of the shot's video, or (`track` "keyframe") of its keyframe stills."""
        shot = self._shot(shot_id)
        if not renderable(shot):
            raise DramaError(f"shot {shot_id} is a title card: it has no draws")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_DRAWS_PER_REQUEST:
            raise DramaError(f"draw count must be a whole number from 1 to {MAX_DRAWS_PER_REQUEST}")
        if track not in TRACKS:
            raise DramaError(f"unknown track {track!r}", hint=f"one of {', '.join(TRACKS)}")
        render = self.project.config.render
        with StateStore(self.project) as store:  # recorded first: a render running now or next draws them too
            if track == "video":
                store.want_draws(shot_id, shot_key_now(self.project, shot, render.engine), count, at_least=render.draws)
                return {"job": self._submit("draw", shot_id, count).id}
            engine = keyframe_engine(self.project)
            if engine is None:
                raise DramaError("this project draws no keyframes",
                                 hint='set [render] keyframes = "IMAGE-ENGINE" in drama.toml (docs/keyframes.md)')
            image_engine(self.project, engine)
            store.want_draws(keyframe_track(shot_id), keyframe_key_now(self.project, shot, engine), count,
                             at_least=render.keyframe_draws or render.draws)
        return {"job": self._submit("stills", shot_id, count).id}

    def pick_sheet(self, candidate_id: str, replace: Any = False) -> dict[str, Any]:
        """Pick a view of a character sheet: it becomes one of the character's references (drama.render.sheets).
        Refused with 409 when the character has portraits of their own and `replace` is not true. Reads cast.toml
        as it is now: the pick just before this one (not yet seen by a poll) changed it."""
        if not isinstance(replace, bool):
            raise DramaError("replace must be true or false")
        try:
            with self._cast_lock:
                references = pick_sheet(Project.load(self.project.root), None, [candidate_id], replace=replace)
        except PortraitsExist as error:
            raise Refused(error.message, 409, hint="pick again to replace them (the old files stay in refs/)") from None
        return {"references": references}

    def edit(self, shot_id: str, data: dict[str, Any]) -> dict[str, Any]:
        shot = self._shot(shot_id)
        if not renderable(shot):
            raise DramaError(f"shot {shot_id} is a title card: edit the screenplay's card text instead")
        try:
            form = EditForm.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            raise DramaError(f"{'.'.join(map(str, first['loc'])) or 'form'}: {first['msg']}") from None
        fields: dict[str, Any] = {}
        for name, vocabulary in (("size", ShotSize), ("angle", Angle), ("move", Move)):
            value = getattr(form, name)
            if value is not None:
                member = vocabulary.parse(value)
                if member is None:
                    choices = [m.value for m in vocabulary]
                    raise DramaError(f"unknown {name} {value!r}", hint=did_you_mean(value, choices) or f"one of {', '.join(choices)}")
                fields[name] = member
        if form.prompt is not None:
            if not form.prompt.strip():
                raise DramaError("the prompt is empty", hint="write what the shot should show")
            if len(form.prompt) > 4000:
                raise DramaError("the prompt is longer than 4000 characters")
            fields["prompt"] = form.prompt.strip()
        if form.duration is not None:
            if not 0.2 <= form.duration <= 60:
                raise DramaError("duration must be between 0.2 and 60 seconds")
            fields["duration"] = form.duration
        if form.move_direction is not None:
            fields["move_direction"] = form.move_direction
        if form.continuity is not None:
            fields["continuity"] = form.continuity
        changed = {k: v for k, v in fields.items() if getattr(shot, k) != v}
        if not changed:
            raise DramaError("nothing changed", hint="change the prompt, size, angle, move, duration or continuity first")
        count = form.count or self.project.config.render.draws
        if not 1 <= count <= MAX_DRAWS_PER_REQUEST:
            raise DramaError(f"draw count must be from 1 to {MAX_DRAWS_PER_REQUEST}")
        with StateStore(self.project) as store:
            store.set_override(shot_id, **changed)
            edited = self._shot(shot_id)  # planned again, with the override
            store.want_draws(shot_id, shot_key_now(self.project, edited, self.project.config.render.engine), count)
        return {"job": self._submit("redraw", shot_id, count).id, "changed": sorted(changed)}

    def export(self) -> dict[str, Any]:
        with self._lock:
            if any(job.kind == "export" and job.status in ("queued", "running") for job in self._jobs):
                raise DramaError("an export is already running")
        return {"job": self._submit("export", None, 1).id}

    # background work

    def _submit(self, kind: str, shot_id: str | None, total: int) -> Job:
        job = Job(id=uuid.uuid4().hex[:12], kind=kind, shot_id=shot_id, total=total)
        with self._lock:
            self._jobs = [j for j in self._jobs if not (j.shot_id == shot_id and j.kind == kind and j.status == "done")]
            self._jobs.append(job)
        self._worker.submit(self._run, job)
        return job

    def _update(self, job: Job, **fields: Any) -> None:
        with self._lock:
            for index, current in enumerate(self._jobs):
                if current.id == job.id:
                    self._jobs[index] = current.model_copy(update=fields)

    def _run(self, job: Job) -> None:
        self._update(job, status="running")
        try:
            if job.kind == "export":
                self._run_export(job)
            else:
                self._run_draws(job)
        except DramaError as error:
            self._update(job, status="failed", error=str(error))
        except Exception as error:  # shown on the card; the server keeps serving
            self._update(job, status="failed", error=f"{type(error).__name__}: {error}")

    def _run_draws(self, job: Job) -> None:
        """Draw what the state store wants of the shot (`draw` and `edit` recorded it): none, if a render that ran
        meanwhile drew it already."""
        def left(draws: int) -> None:
            done = max(0, job.total - draws)
            self._update(job, done=done, progress=done / job.total)

        storyboard = prepare_episode(self.project, self.episode_id, speak=True).storyboard
        with StateStore(self.project) as store:
            report = render_shots(self.project, storyboard, draws=1, shot_ids=[job.shot_id], store=store,
                                  progress=_DrawsLeft(left), stage="keyframes" if job.kind == "stills" else "all")
        if report.failed:
            raise DramaError(report.failed[0].error or "the engine failed")
        self._update(job, status="done", done=job.total, progress=1.0)

    def _run_export(self, job: Job) -> None:
        progress = Progress(disable=True)  # tracks the export's tasks; view() reads the fraction done
        self._export_progress = progress
        result = export_current_cut(self.project, prepare_episode(self.project, self.episode_id, speak=True), progress)
        self._update(job, status="done", progress=1.0, url=self.url(result.mp4), name=result.mp4.name,
                     done=1, total=1)

    def _export_fraction(self) -> float:
        tasks = self._export_progress.tasks if self._export_progress else []
        total = sum(task.total or 0 for task in tasks)
        return sum(task.completed for task in tasks) / total if total else 0.0
