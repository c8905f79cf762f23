"""Moving a state store written by schema 1 to schema 2, where shot ids include the episode.

Schema 1 ids hashed the scene and the line but not the episode, so two episodes reusing a set and a stock line
shared their picks, overrides and draws. To re-key a schema-1 store, every episode of the project is planned
twice — with the schema-1 ids and with today's — which maps each episode's old ids to its new ones. A candidate
row records its episode, so it (and the pick of it) goes to the right shot; an override recorded no episode,
so it goes to every shot that had its old id (as it applied to all of them before). Whatever cannot be matched
to a shot of today's screenplays is listed, row by row, in .drama/migration-v2.json, and the schema-1 database
is kept beside it as .drama/state-v1.db: nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from drama.atomic import write_json
from drama.errors import DramaError
from drama.project import Project
from drama.screenplay import parse_file
from drama.storyboard import plan
from drama.storyboard.ids import ShotIds, digest

log = logging.getLogger("drama.render")

BACKUP = "state-v1.db"
REPORT = "migration-v2.json"


class V1ShotIds(ShotIds):
    """The schema-1 ids: today's without the episode (kept only to migrate stores written with them)."""

    def id(self, scene: str, content: str, occurrence: str) -> str:
        return digest(scene, content, occurrence)


class Unmigrated(BaseModel):
    table: str
    row: dict[str, Any]
    reason: str


class MigrationReport(BaseModel):
    """What a migration did: rows re-keyed per table, what was kept in another form, what could not be kept."""

    from_schema: int = 1
    to_schema: int = 2
    migrated: float
    backup: str = BACKUP
    rekeyed: dict[str, int] = {}
    notes: list[str] = []
    unmigrated: list[Unmigrated] = []

    def summary(self, state_dir: Path) -> str:
        counts = ", ".join(f"{n} {table}" for table, n in self.rekeyed.items() if n) or "nothing"
        text = f"state store migrated to schema {self.to_schema} (shot ids now include the episode): {counts} re-keyed"
        if self.unmigrated:
            text += (f"; {len(self.unmigrated)} row(s) match no shot of today's screenplays and were not migrated: "
                     f"see {state_dir / REPORT}")
        elif self.notes:
            text += f"; {len(self.notes)} note(s) in {state_dir / REPORT}"
        return text + f". The schema-1 database is kept as {state_dir / BACKUP}."


def v1_id_map(project: Project) -> dict[str, dict[str, str]]:
    """Per episode of today's screenplays: schema-1 shot id → today's shot id."""
    mapping: dict[str, dict[str, str]] = {}
    for path in project.screenplay_files():
        script = parse_file(path)
        for index in range(len(script.episodes)):
            new = plan(script, index, project)
            old = plan(script, index, project, ids=V1ShotIds)
            mapping[new.episode] = {o.id: n.id for o, n in zip(old.shots, new.shots, strict=True)}
    return mapping


def backup(path: Path, target: Path) -> None:
    """A consistent copy of the database at `path` (read through a connection of its own: WAL readers are not
    blocked by the writer that holds the migration's lock)."""
    source = sqlite3.connect(path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def migrate_v1(db: sqlite3.Connection, project: Project, path: Path) -> MigrationReport:
    """Re-key the schema-1 rows of `db` (inside the caller's write transaction) and rewrite the shot id in each
    migrated draw's candidate.json; the database is copied aside first and the report written before returning."""
    try:
        ids = v1_id_map(project)
    except DramaError as error:
        raise DramaError(f"the state store needs migrating to schema 2, which plans every episode, and planning "
                         f"failed: {error.message}", path=error.path, line=error.line,
                         hint="fix the screenplay and run the command again; the store is unchanged") from None
    backup(path, path.parent / BACKUP)
    report = MigrationReport(migrated=time.time())
    shared: dict[str, list[tuple[str, str]]] = defaultdict(list)  # old id → (episode, new id) of each shot with it
    for episode, mapping in ids.items():
        for old, new in mapping.items():
            shared[old].append((episode, new))

    def rows(table: str) -> list[dict[str, Any]]:
        cursor = db.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]

    def lost(table: str, row: dict[str, Any], reason: str) -> None:
        report.unmigrated.append(Unmigrated(table=table, row=row, reason=reason))

    def replace(table: str, rekeyed: list[dict[str, Any]]) -> None:
        db.execute(f"DELETE FROM {table}")
        for row in rekeyed:
            db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       tuple(row.values()))
        report.rekeyed[table] = len(rekeyed)

    def gone(episode: str, old: str) -> str:
        where = f"episode {episode}" if episode in ids else f"episode {episode}, which no screenplay holds any more"
        return f"no shot of {where} had schema-1 id {old}: its line was changed or removed since"

    candidates, moved = [], {}
    for row in rows("candidates"):
        new = ids.get(row["episode"], {}).get(row["shot_id"])
        if new is None:
            lost("candidates", row, gone(row["episode"], row["shot_id"]))
            continue
        moved[row["id"]] = row["episode"], new
        candidates.append({**row, "shot_id": new})
        _rewrite_manifest(project.root / row["path"], new, report)
    replace("candidates", candidates)

    picks = []
    for row in rows("picks"):
        if row["candidate_id"] not in moved:
            lost("picks", row, f"the picked draw {row['candidate_id']} was not migrated (see candidates)")
            continue
        episode, new = moved[row["candidate_id"]]
        picks.append({**row, "shot_id": new})
        others = [f"{e} {n}" for e, n in shared[row["shot_id"]] if e != episode]
        if others:
            report.notes.append(f"pick {row['candidate_id']} (schema-1 shot {row['shot_id']}) stays with {new} in "
                                f"{episode}, the episode it was drawn for; schema 1 also applied it to "
                                f"{', '.join(others)}, where the automatic choice (best score) applies now")
    replace("picks", picks)

    overrides = []
    for row in rows("overrides"):
        shots = shared.get(row["shot_id"], [])
        if not shots:
            lost("overrides", row, f"no shot of any episode had schema-1 id {row['shot_id']}: its line was changed "
                                   "or removed since")
            continue
        overrides += [{**row, "shot_id": new} for _, new in shots]
        if len(shots) > 1:
            report.notes.append(f"the override of schema-1 shot {row['shot_id']} applied to "
                                f"{', '.join(f'{e} {n}' for e, n in shots)} at once; each keeps a copy now")
    replace("overrides", overrides)

    failures = []
    for row in rows("jobs"):  # failed draws: only the message is kept, the next render retries them anyway
        new = ids.get(row["episode"], {}).get(row["shot_id"])
        if new is None:
            lost("jobs", row, gone(row["episode"], row["shot_id"]))
        else:
            failures.append({**row, "shot_id": new})
    replace("jobs", failures)

    for table in ("tasks", "ledger"):  # keyed by job key; their shot id only labels the row, so unmatched ones stay
        labelled = 0
        for episode, old in {(r["episode"], r["shot_id"]) for r in rows(table)}:
            new = ids.get(episode, {}).get(old)
            if new is not None:
                labelled += db.execute(f"UPDATE {table} SET shot_id = ? WHERE episode = ? AND shot_id = ?",
                                       (new, episode, old)).rowcount
        report.rekeyed[table] = labelled
    write_json(path.parent / REPORT, report.model_dump(mode="json"))
    if report.unmigrated or report.notes:
        log.warning(report.summary(path.parent))
    else:
        log.info(report.summary(path.parent))
    return report


def _rewrite_manifest(folder: Path, shot_id: str, report: MigrationReport) -> None:
    """Put the new shot id into the draw's candidate.json (atomically: the folder is never seen half-changed)."""
    manifest = folder / "candidate.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return  # the database row is what counts; a folder without its manifest is re-rendered when needed
    except (OSError, ValueError) as error:
        report.notes.append(f"{manifest} could not be read ({error}); its database row was migrated")
        return
    if data.get("shot_id") != shot_id:
        write_json(manifest, {**data, "shot_id": shot_id})
