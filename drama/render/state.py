"""The project's bookkeeping in .drama/state.db: candidates and their scores, the creator's picks, per-shot
overrides, draws asked for and not yet drawn, and failed jobs.

SQLite in WAL mode with a busy timeout, so `drama render` and the review page can read and write at the same
time from different processes. Picks and overrides are keyed by stable shot id (unique across the project's
episodes), so they survive re-planning. Candidates whose shot has changed since they were drawn are marked
stale, never deleted. A store written by an earlier schema is migrated when opened (see drama.render.migrate);
one written by a newer drama is refused.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drama.errors import ProjectError, RenderError, did_you_mean, os_fault, store_fault
from drama.project import Project
from drama.render.migrate import migrate_v1
from drama.render.parts import ScorePart
from drama.render.tracks import SHOT_TRACKS, owner_shot
from drama.storyboard.vocabulary import Angle, Move, ShotSize

SCHEMA_VERSION = 2  # 2: shot ids include the episode; wanted draws
_SCHEMA = """
CREATE TABLE IF NOT EXISTS candidates (
    id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, shot_key TEXT NOT NULL, episode TEXT NOT NULL,
    shot_id TEXT NOT NULL, draw INTEGER NOT NULL, seed INTEGER NOT NULL, path TEXT NOT NULL,
    engine TEXT NOT NULL, engine_version TEXT NOT NULL, score REAL NOT NULL, parts TEXT NOT NULL,
    stale INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS candidates_shot ON candidates (shot_id);
CREATE TABLE IF NOT EXISTS picks (shot_id TEXT PRIMARY KEY, candidate_id TEXT NOT NULL, picked REAL NOT NULL);
CREATE TABLE IF NOT EXISTS overrides (shot_id TEXT PRIMARY KEY, fields TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS wanted (
    shot_id TEXT PRIMARY KEY, shot_key TEXT, draws INTEGER NOT NULL, asked REAL NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY, episode TEXT NOT NULL, shot_id TEXT NOT NULL, draw INTEGER NOT NULL,
    status TEXT NOT NULL, error TEXT, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    key TEXT PRIMARY KEY, engine TEXT NOT NULL, episode TEXT NOT NULL, shot_id TEXT NOT NULL, draw INTEGER NOT NULL,
    state TEXT NOT NULL, task TEXT, job TEXT, error TEXT, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, engine TEXT NOT NULL, provider TEXT NOT NULL,
    task_id TEXT, episode TEXT NOT NULL, shot_id TEXT NOT NULL, units REAL NOT NULL, cost REAL NOT NULL,
    outcome TEXT NOT NULL, reason TEXT, created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_episode ON ledger (episode, shot_id);
"""


class Draw(BaseModel):
    """What identifies a draw: its ids, the shot (and version of it) it was drawn for, the seed and the engine.
    Kept in the state store and in the draw's candidate.json alike."""

    id: str
    key: str
    shot_key: str
    episode: str
    shot_id: str
    draw: int
    seed: int
    engine: str
    engine_version: str
    created: float


class Candidate(Draw):
    """One finished draw: its folder under renders/, how it scored and whether its shot has changed since."""

    path: Path  # absolute: <project>/renders/<key>
    score: float
    parts: list[ScorePart]
    stale: bool = False

    @property
    def video(self) -> Path:
        return self.path / "video.mp4"

    @property
    def poster(self) -> Path:
        return self.path / "poster.png"


class ShotOverride(BaseModel):
    """The shot fields a creator may change from the review page; anything else is changed in the screenplay."""

    model_config = ConfigDict(extra="forbid")

    prompt: str | None = None
    negative_prompt: str | None = None
    size: ShotSize | None = None
    angle: Angle | None = None
    move: Move | None = None
    move_direction: Literal[-1, 1] | None = None
    move_strength: float | None = Field(None, ge=0.0, le=3.0)
    duration: float | None = Field(None, gt=0, le=600)
    continuity: Literal["auto", "chain", "cut"] | None = None


TaskPhase = Literal["submitting", "queued", "running", "downloading", "done", "failed", "stuck"]


class TaskRow(BaseModel):
    """A job's remote task as the state store keeps it: `task` is the provider's RemoteTask as JSON (no secrets)."""

    key: str
    engine: str
    episode: str
    shot_id: str
    draw: int
    state: TaskPhase
    task: str | None = None
    job: str | None = None
    error: str | None = None
    updated: float


class LedgerEntry(BaseModel):
    """One paid (or attempted) task: what it was expected to cost and whether the provider bills it."""

    id: int
    key: str
    engine: str
    provider: str
    task_id: str | None
    episode: str
    shot_id: str
    units: float
    cost: float
    outcome: Literal["pending", "billed", "not_billed"]
    reason: str | None
    created: float
    updated: float


class WantedDraws(BaseModel):
    """Draws asked for of a shot (draws 0..draws-1 should exist); `asked` tells this request from a later one."""

    draws: int
    asked: float


class FailedJob(BaseModel):
    key: str
    episode: str
    shot_id: str
    draw: int
    error: str
    updated: float


def _writable(path: Path) -> bool:
    """Whether this process may write `path`, or make it in the nearest folder that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK)


def _cannot_write(error: BaseException, path: Path) -> bool:
    """Whether opening the store at `path` failed because it cannot be written here (a read-only folder, file or
    file system; no permission), so it may still be read."""
    if isinstance(error, OSError):
        kind = error.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    else:
        kind = isinstance(error, sqlite3.OperationalError) and \
            getattr(error, "sqlite_errorname", "").startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN"))
    return kind and not (_writable(path) and _writable(path.parent))  # WAL makes files beside the store


def read_only_connection(path: Path, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection that only reads the store at `path`, also where it cannot be written. Where even the WAL's
    shared-memory file cannot be made (a read-only file system) it is opened immutable: nothing changes it there."""
    failure: sqlite3.Error | None = None
    for mode in ("mode=ro", "immutable=1"):
        db = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", timeout=timeout, uri=True, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute("PRAGMA schema_version").fetchall()  # reads the file: fails here if it cannot be read so
        except sqlite3.Error as error:
            db.close()
            failure = error
            continue
        return db
    assert failure is not None
    raise failure


def named(candidates: list[Candidate], candidate_id: str) -> list[Candidate]:
    """The candidates an id a creator typed names: the one with that id, or those it is a prefix of when it is at
    least 4 characters long."""
    return [c for c in candidates if c.id == candidate_id or (len(candidate_id) >= 4 and c.id.startswith(candidate_id))]


class StateStore:
    """Typed access to .drama/state.db. Cheap to open; open one per process (or per thread).

    Where the project cannot be written (a read-only folder or disk) an up-to-date store opens read-only, and a
    missing one as an empty one: looking (status, the review page) works, and the first write says what to do."""

    def __init__(self, project: Project, *, timeout: float = 30.0):
        self.root = project.root
        self.path = project.state_dir / "state.db"
        self.read_only = False
        self._lock = threading.Lock()
        if self.path.is_dir():
            raise ProjectError("a folder is where the state store (a SQLite file) belongs", path=self.path,
                               hint=f"move the folder aside (mv {self.path} {self.path}.folder) and run again: a new "
                                    "store is started and the draws in renders/ are found again")
        try:
            self._open_writable(project, timeout)
        except (OSError, sqlite3.Error) as error:
            if not _cannot_write(error, self.path):
                raise self._fault(error) from None
            self._open_read_only(timeout)

    def _connect(self, target: str, timeout: float) -> sqlite3.Connection:
        db = sqlite3.connect(target, timeout=timeout, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        return db

    def _open_writable(self, project: Project, timeout: float) -> None:
        project.state_dir.mkdir(parents=True, exist_ok=True)
        self._db = self._connect(str(self.path), timeout)
        try:
            self._wal(timeout)
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._open(project)
        except BaseException:
            self._db.close()
            raise

    def _open_read_only(self, timeout: float) -> None:
        """The store as it is, only to read; one not written yet reads as empty."""
        self.read_only = True
        if not self.path.is_file():
            self._db = self._connect(":memory:", timeout)
            self._db.executescript(_SCHEMA)
            return
        try:
            db = read_only_connection(self.path, timeout)
            version = db.execute("PRAGMA user_version").fetchall()[0][0]
        except sqlite3.Error as error:
            raise self._fault(error) from None
        if version != SCHEMA_VERSION:
            db.close()
            raise self._newer(version) if version > SCHEMA_VERSION else \
                ProjectError(f"the state store is of schema {version} and must be migrated to schema {SCHEMA_VERSION} "
                             "(which writes it), but the project folder is read-only", path=self.path,
                             hint="make the project folder writable and run again")
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self._db = db

    def _fault(self, error: BaseException) -> BaseException:
        """A fault of the store in words, naming .drama/state.db and what to do (the error itself if unknown)."""
        if isinstance(error, sqlite3.Error):
            return store_fault(error, self.path)
        if isinstance(error, OSError):
            return os_fault(error, path=error.filename or self.path, doing="open the state store") or error
        return error

    def _newer(self, version: int) -> ProjectError:
        return ProjectError(f"the state store was written by a newer drama (schema {version}; this drama reads schema "
                            f"{SCHEMA_VERSION} and older)", path=self.path,
                            hint="upgrade drama (pip install -U drama); this store is left untouched")

    def _wal(self, timeout: float) -> None:
        """Switch the store to WAL (once per store). Changing the journal mode ignores the busy timeout, so while
        another process holds the store (a migration, say) it is tried again until `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._db.execute("PRAGMA journal_mode").fetchall()[0][0] != "wal":
                    self._db.execute("PRAGMA journal_mode = WAL").fetchall()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _open(self, project: Project) -> None:
        """Create the tables of a new store, migrate one of an earlier schema, refuse one of a newer. A store that
        is up to date is only read here: opening one never takes the write lock or counts as a change."""
        # fetchall, not fetchone: an unfinished statement would keep a read snapshot open, and a write begun on a
        # stale snapshot fails at once with "database is locked" instead of waiting its turn
        if self._db.execute("PRAGMA user_version").fetchall()[0][0] == SCHEMA_VERSION:
            return
        with self._write():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise self._newer(version)
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._db.execute(statement)
            if version == 1:
                migrate_v1(self._db, project, self.path)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    class _Transaction:
        def __init__(self, store: "StateStore"):
            self.store = store

        def __enter__(self) -> sqlite3.Connection:
            self.store._lock.acquire()
            try:
                self.store._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                self.store._lock.release()
                raise self.store._fault(error) from None
            return self.store._db

        def __exit__(self, kind: type | None, value: BaseException | None, *rest: object) -> None:
            db = self.store._db
            try:
                db.execute("COMMIT" if kind is None else "ROLLBACK")
            except sqlite3.Error as error:  # a full disk can fail the commit: the transaction is undone whole
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise self.store._fault(error) from None
            finally:
                self.store._lock.release()
            if isinstance(value, sqlite3.Error):
                raise self.store._fault(value) from None

    def _write(self) -> "_Transaction":
        """A write transaction that takes the database lock up front (no upgrade deadlocks between processes)."""
        if self.read_only:
            raise ProjectError("the project folder is read-only: the state store cannot record this", path=self.path,
                               hint="make the project folder writable (chmod -R u+w PROJECT, or mount it read-write) "
                                    "and run again; looking (drama status, the review page) works as it is")
        return StateStore._Transaction(self)

    def _rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as error:
                raise self._fault(error) from None

    # candidates

    def _candidate(self, row: sqlite3.Row) -> Candidate:
        data = dict(row)
        data["path"] = self.root / data["path"]
        data["parts"] = json.loads(data["parts"])
        data["stale"] = bool(data["stale"])
        return Candidate.model_validate(data)

    def add_candidate(self, candidate: Candidate) -> None:
        """Record a finished draw (idempotent: the same key twice keeps the first record)."""
        data = candidate.model_dump(mode="json")
        data["path"] = str(candidate.path.relative_to(self.root))
        data["parts"] = json.dumps(data["parts"], ensure_ascii=False)
        data["stale"] = int(candidate.stale)
        columns = ", ".join(data)
        with self._write() as db:
            db.execute(f"INSERT OR IGNORE INTO candidates ({columns}) VALUES ({', '.join('?' * len(data))})",
                       tuple(data.values()))
            db.execute("DELETE FROM jobs WHERE key = ?", (candidate.key,))
            # a remote draw published by a run killed before it said so: its task is done and billed
            db.execute("UPDATE tasks SET state = 'done', error = NULL WHERE key = ?", (candidate.key,))
            db.execute("UPDATE ledger SET outcome = 'billed' WHERE key = ? AND outcome = 'pending'", (candidate.key,))

    def forget_candidate(self, key: str) -> None:
        """Drop the record of a draw whose folder is gone (set aside as damaged, deleted). A creator's pick of it
        is kept: the draw is rendered again under the same key, so the pick finds it again."""
        with self._write() as db:
            db.execute("DELETE FROM candidates WHERE key = ?", (key,))

    def has_candidate(self, key: str) -> bool:
        return bool(self._rows("SELECT 1 FROM candidates WHERE key = ?", key))

    def candidates(self, shot_id: str | None = None, *, episode: str | None = None) -> list[Candidate]:
        """Candidates, best score first (of one shot, or one episode, or all)."""
        where, params = [], []
        if shot_id is not None:
            where.append("shot_id = ?")
            params.append(shot_id)
        if episode is not None:
            where.append("episode = ?")
            params.append(episode)
        sql = "SELECT * FROM candidates" + (f" WHERE {' AND '.join(where)}" if where else "")
        return [self._candidate(r) for r in self._rows(sql + " ORDER BY stale, score DESC, draw", *params)]

    def candidate(self, candidate_id: str) -> Candidate | None:
        rows = self._rows("SELECT * FROM candidates WHERE id = ?", candidate_id)
        return self._candidate(rows[0]) if rows else None

    def mark_stale(self, shot_id: str, current_shot_key: str) -> int:
        """Flag the shot's candidates drawn for an earlier version of it; returns how many are stale."""
        if self._rows("SELECT 1 FROM candidates WHERE shot_id = ? AND stale != (shot_key != ?) LIMIT 1", shot_id,
                      current_shot_key):  # written only when it changes: a read-only project still renders from cache
            with self._write() as db:
                db.execute("UPDATE candidates SET stale = (shot_key != ?) WHERE shot_id = ?", (current_shot_key, shot_id))
        return self._rows("SELECT COUNT(*) FROM candidates WHERE shot_id = ? AND stale", shot_id)[0][0]

    # picks

    def pick(self, shot_id: str, candidate_id: str) -> Candidate:
        """The creator picks a candidate for a shot; accepts a unique prefix of the candidate id."""
        choices = self.candidates(shot_id)
        if not choices:
            raise RenderError(f"shot {shot_id!r} has no candidates", path=self.path,
                             hint=did_you_mean(shot_id, self.shot_ids()) or "render it first: drama render PROJECT")
        matches = named(choices, candidate_id)
        elsewhere = [] if matches else named(self.candidates(), candidate_id)
        if len(elsewhere) == 1:
            other = elsewhere[0]
            raise RenderError(f"candidate {other.id!r} is a draw of shot {other.shot_id!r} ({other.episode}), "
                             f"not of {shot_id!r}", hint=f"candidates of {shot_id}: {', '.join(c.id for c in choices)}")
        if len(matches) != 1:
            problem = "is ambiguous among the candidates of" if matches else "is not a candidate of"
            hint = did_you_mean(candidate_id, [c.id for c in choices]) or \
                f"candidates of {shot_id}: {', '.join(c.id for c in choices)}"
            raise RenderError(f"candidate {candidate_id!r} {problem} {shot_id!r}", hint=hint)
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO picks (shot_id, candidate_id, picked) VALUES (?, ?, ?)",
                       (shot_id, matches[0].id, time.time()))
        return matches[0]

    def unpick(self, shot_id: str) -> None:
        """Back to the automatic choice (best score)."""
        with self._write() as db:
            db.execute("DELETE FROM picks WHERE shot_id = ?", (shot_id,))

    def creator_pick(self, shot_id: str) -> Candidate | None:
        rows = self._rows("SELECT c.* FROM picks p JOIN candidates c ON c.id = p.candidate_id WHERE p.shot_id = ?",
                          shot_id)
        return self._candidate(rows[0]) if rows else None

    def pick_for(self, shot_id: str) -> Candidate | None:
        """The creator's pick, else the best-scored current candidate (stale ones only if nothing is current)."""
        picked = self.creator_pick(shot_id)
        if picked is not None:
            return picked
        ranked = self.candidates(shot_id)  # current before stale, then by score
        return ranked[0] if ranked else None

    def picks(self) -> dict[str, str]:
        """Creator picks: shot id → candidate id."""
        return {r["shot_id"]: r["candidate_id"] for r in self._rows("SELECT * FROM picks ORDER BY shot_id")}

    def shot_ids(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT shot_id FROM candidates ORDER BY shot_id")]

    # overrides

    def set_override(self, shot_id: str, **fields: Any) -> ShotOverride:
        """Merge edited fields into the shot's override (None clears a field); returns the whole override."""
        current = self.override(shot_id).model_dump(exclude_none=True)
        current.update(fields)
        try:
            override = ShotOverride.model_validate({k: v for k, v in current.items() if v is not None})
        except ValidationError as error:
            first = error.errors()[0]
            raise RenderError(f"override of {shot_id}: {'.'.join(map(str, first['loc']))}: {first['msg']}",
                             hint=f"editable fields: {', '.join(ShotOverride.model_fields)}") from None
        data = override.model_dump(mode="json", exclude_none=True)
        with self._write() as db:
            if data:
                db.execute("INSERT OR REPLACE INTO overrides (shot_id, fields, updated) VALUES (?, ?, ?)",
                           (shot_id, json.dumps(data, ensure_ascii=False), time.time()))
            else:
                db.execute("DELETE FROM overrides WHERE shot_id = ?", (shot_id,))
        return override

    def override(self, shot_id: str) -> ShotOverride:
        rows = self._rows("SELECT fields FROM overrides WHERE shot_id = ?", shot_id)
        return ShotOverride.model_validate(json.loads(rows[0]["fields"])) if rows else ShotOverride()

    def overrides(self) -> dict[str, ShotOverride]:
        return {r["shot_id"]: ShotOverride.model_validate(json.loads(r["fields"]))
                for r in self._rows("SELECT * FROM overrides ORDER BY shot_id")}

    # wanted draws: "draw N more" from the review page, honoured by whichever process renders the shot next

    def want_draws(self, shot_id: str, shot_key: str | None, more: int, *, at_least: int = 0) -> int:
        """Ask for `more` draws of the shot's current version (`shot_key`; None while it cannot be known) beyond
        those it has, those already asked for and the `at_least` every render makes anyway; returns the number of
        draws now wanted (draws 0..n-1)."""
        with self._write() as db:
            drawn = db.execute("SELECT COALESCE(MAX(draw) + 1, 0) FROM candidates WHERE shot_id = ? AND shot_key = ?",
                               (shot_id, shot_key)).fetchone()[0]
            asked = db.execute("SELECT draws FROM wanted WHERE shot_id = ? AND shot_key IS ?",
                               (shot_id, shot_key)).fetchone()
            draws = max(at_least, drawn, asked[0] if asked else 0) + more
            db.execute("INSERT OR REPLACE INTO wanted (shot_id, shot_key, draws, asked) VALUES (?, ?, ?, ?)",
                       (shot_id, shot_key, draws, time.time()))
        return draws

    def wanted(self) -> dict[str, WantedDraws]:
        """Shot id → the draws asked for it and not known to be drawn yet."""
        rows = self._rows("SELECT * FROM wanted")
        return {r["shot_id"]: WantedDraws(draws=r["draws"], asked=r["asked"]) for r in rows}

    def drawn(self, shot_id: str, request: WantedDraws) -> None:
        """The request's draws all exist now: it is done, unless a later request for the shot replaced it."""
        with self._write() as db:
            db.execute("DELETE FROM wanted WHERE shot_id = ? AND asked = ?", (shot_id, request.asked))

    # jobs

    def record_failure(self, key: str, episode: str, shot_id: str, draw: int, error: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO jobs (key, episode, shot_id, draw, status, error, updated) "
                       "VALUES (?, ?, ?, ?, 'failed', ?, ?)", (key, episode, shot_id, draw, error, time.time()))

    def clear_failures(self, shot_id: str) -> None:
        if self._rows("SELECT 1 FROM jobs WHERE shot_id = ? LIMIT 1", shot_id):  # no write when there are none
            with self._write() as db:
                db.execute("DELETE FROM jobs WHERE shot_id = ?", (shot_id,))

    def failures(self, shot_id: str | None = None) -> list[FailedJob]:
        sql = "SELECT * FROM jobs WHERE status = 'failed'" + (" AND shot_id = ?" if shot_id else "")
        return [FailedJob.model_validate(dict(r)) for r in self._rows(sql, *([shot_id] if shot_id else []))]

    def export(self) -> dict[str, Any]:
        """The creator's decisions as plain data (for `drama status --json`, backups, version control)."""
        return {"picks": self.picks(),
                "overrides": {k: v.model_dump(mode="json", exclude_none=True) for k, v in self.overrides().items()}}

    # remote tasks and the ledger (paid engines): a task is recorded before anything waits on it

    def task(self, key: str) -> TaskRow | None:
        rows = self._rows("SELECT * FROM tasks WHERE key = ?", key)
        return TaskRow.model_validate(dict(rows[0])) if rows else None

    def tasks(self, *, episode: str | None = None, shot_id: str | None = None) -> list[TaskRow]:
        where = [(c, v) for c, v in (("episode", episode), ("shot_id", shot_id)) if v is not None]
        sql = "SELECT * FROM tasks" + (" WHERE " + " AND ".join(f"{c} = ?" for c, _ in where) if where else "")
        return [TaskRow.model_validate(dict(r)) for r in self._rows(sql + " ORDER BY updated", *(v for _, v in where))]

    def set_task(self, key: str, *, engine: str, episode: str, shot_id: str, draw: int, state: TaskPhase,
                 task: str | None = None, job: str | None = None, error: str | None = None) -> None:
        """Insert or update a job's remote task; `task` (the RemoteTask JSON) and `job` (the drama Job JSON, so
        a result can be published even after the shot changed) are kept once known."""
        with self._write() as db:
            db.execute("INSERT INTO tasks (key, engine, episode, shot_id, draw, state, task, job, error, updated) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state, "
                       "task = COALESCE(excluded.task, tasks.task), job = COALESCE(excluded.job, tasks.job), "
                       "error = excluded.error, updated = excluded.updated",
                       (key, engine, episode, shot_id, draw, state, task, job, error, time.time()))

    def reserve(self, key: str, *, engine: str, provider: str, episode: str, shot_id: str, units: float, cost: float,
                budget: float | None, shot_budget: float | None) -> str | None:
        """Book the expected cost of a task about to be submitted, in one transaction with the budget check:
        returns None when booked, else why not (the budget it would exceed)."""
        with self._write() as db:
            def committed(where: str, *params: str) -> float:
                return db.execute(f"SELECT COALESCE(SUM(cost), 0) FROM ledger WHERE outcome IN ('pending', 'billed') "
                                  f"AND {where}", params).fetchone()[0]
            shot = owner_shot(shot_id) or shot_id  # a shot's keyframes, video and passes share its budget
            tracks = [shot, *(shot + suffix for suffix in SHOT_TRACKS)]
            in_shot = committed(f"episode = ? AND shot_id IN ({', '.join('?' * len(tracks))})", episode, *tracks)
            for limit, spent, scope in ((budget, committed("episode = ?", episode), f"episode {episode}"),
                                        (shot_budget, in_shot, f"shot {shot}")):
                if limit is not None and spent + cost > limit + 1e-9:
                    return f"the budget of {scope} ({limit:g}) would be exceeded: {spent:g} spent or running + {cost:g}"
            now = time.time()
            db.execute("INSERT INTO ledger (key, engine, provider, task_id, episode, shot_id, units, cost, outcome, "
                       "created, updated) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, 'pending', ?, ?)",
                       (key, engine, provider, episode, shot_id, units, cost, now, now))
        return None

    def settle(self, key: str, outcome: Literal["pending", "billed", "not_billed"], *, task_id: str | None = None,
               reason: str | None = None) -> None:
        """Update the job's latest ledger entry: its task id once known, and whether the provider bills it."""
        with self._write() as db:
            db.execute("UPDATE ledger SET outcome = ?, task_id = COALESCE(?, task_id), reason = COALESCE(?, reason), "
                       "updated = ? WHERE id = (SELECT MAX(id) FROM ledger WHERE key = ?)",
                       (outcome, task_id, reason, time.time(), key))

    def attempts(self, key: str) -> int:
        """How many tasks were booked for a job (the first submission is attempt 0)."""
        return self._rows("SELECT COUNT(*) FROM ledger WHERE key = ?", key)[0][0]

    def ledger(self, *, episode: str | None = None) -> list[LedgerEntry]:
        sql = "SELECT * FROM ledger" + (" WHERE episode = ?" if episode else "") + " ORDER BY id"
        return [LedgerEntry.model_validate(dict(r)) for r in self._rows(sql, *([episode] if episode else []))]

    def spend(self) -> dict[tuple[str, str], float]:
        """Billed and still-running cost per (episode, shot id)."""
        rows = self._rows("SELECT episode, shot_id, SUM(cost) AS cost FROM ledger WHERE outcome IN ('pending', 'billed') "
                          "GROUP BY episode, shot_id")
        return {(r["episode"], r["shot_id"]): r["cost"] for r in rows}

