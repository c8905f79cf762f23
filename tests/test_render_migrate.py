"""A state store written by schema 1 (shot ids without the episode), migrated when opened.

tests/data/v1_store holds what drama wrote at schema 1 (see make_fixture.py): two episodes that share a scene and
two lines, both rendered (the shared shots drew once, for ep01), a pick on a shared line and one on a line of
ep01 only, an override on a shared line and one on the ep01-only line.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

import render_fakes  # noqa: F401  (registers the test-squares engine)
from drama.errors import DramaError
from drama.project import Project
from drama.render.state import StateStore
from drama.storyboard import plan_episode

FIXTURE = Path(__file__).parent / "data" / "v1_store"
HEARD, EMPTY, DOOR = "你听见了吗？", "没人啊。", "门外有人。"  # shared, shared, ep01 only


def v1_project(tmp_path: Path) -> Path:
    root = tmp_path / "v1"
    shutil.copytree(FIXTURE / "project", root)
    shutil.copytree(FIXTURE / "manifests", root / "renders")
    (root / ".drama").mkdir()
    db = sqlite3.connect(root / ".drama" / "state.db")
    db.executescript((FIXTURE / "state-v1.sql").read_text(encoding="utf-8"))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    return root


def raw(root: Path, sql: str, name: str = "state.db") -> list[tuple]:
    db = sqlite3.connect(root / ".drama" / name)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def shot_ids(project: Project, episode: str) -> dict[str, str]:
    """Line text (or shot kind) → today's shot id, from today's plan of the episode."""
    return {shot.text or shot.kind: shot.id for shot in plan_episode(project, episode).shots}


def test_picks_overrides_and_draws_are_rekeyed_to_their_episode(tmp_path):
    root = v1_project(tmp_path)
    v1_picks = dict(raw(root, "SELECT shot_id, candidate_id FROM picks"))
    v1_episode = dict(raw(root, "SELECT id, episode FROM candidates"))
    project = Project.load(root)
    ep01, ep02 = shot_ids(project, "ep01"), shot_ids(project, "ep02")
    with StateStore(project) as store:
        picks, overrides, candidates = store.picks(), store.overrides(), store.candidates()
    assert raw(root, "PRAGMA user_version") == [(2,)]
    # the pick on the shared line stays with ep01, the episode its draw was made for; ep02 takes its own best
    assert set(picks) == {ep01[HEARD], ep01[DOOR]} and set(picks.values()) == set(v1_picks.values())
    assert all(v1_episode[picks[shot]] == "ep01" for shot in picks)
    # the override of the shared line applied to both episodes before: each keeps a copy
    assert overrides[ep01[EMPTY]].size.value == "CU" and overrides[ep02[EMPTY]].size.value == "CU"
    assert overrides[ep01[DOOR]].prompt == "a door in the dark" and len(overrides) == 3
    # every draw is kept, under an id of today's plan of its own episode
    assert len(candidates) == len(v1_episode)
    current = {"ep01": set(ep01.values()), "ep02": set(ep02.values())}
    assert all(c.shot_id in current[c.episode] for c in candidates)
    for c in candidates:  # the draw's own manifest agrees with the database
        assert json.loads((c.path / "candidate.json").read_text(encoding="utf-8"))["shot_id"] == c.shot_id
    # the schema-1 database is kept as it was, and the report says what happened
    assert raw(root, "PRAGMA user_version", "state-v1.db") == [(1,)]
    assert dict(raw(root, "SELECT shot_id, candidate_id FROM picks", "state-v1.db")) == v1_picks
    report = json.loads((root / ".drama" / "migration-v2.json").read_text(encoding="utf-8"))
    assert report["unmigrated"] == [] and report["rekeyed"]["picks"] == 2
    assert any("ep02" in note and "pick" in note for note in report["notes"])


def test_what_matches_no_shot_any_more_is_reported_once_and_kept(tmp_path, caplog):
    root = v1_project(tmp_path)
    script = root / "episodes" / "ep01.txt"  # the ep01-only line was rewritten after it was drawn and picked
    script.write_text(script.read_text(encoding="utf-8").replace("甲：门外有人。", "甲：门外真的有人。"), encoding="utf-8")
    v1_door_draws = raw(root, "SELECT COUNT(*) FROM candidates WHERE shot_id IN "
                              "(SELECT shot_id FROM overrides WHERE fields LIKE '%door%')")[0][0]
    project = Project.load(root)
    with caplog.at_level(logging.WARNING, logger="drama.render"):
        StateStore(project).close()
        StateStore(project).close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "migration-v2.json" in warnings[0] and "state-v1.db" in warnings[0]
    report = json.loads((root / ".drama" / "migration-v2.json").read_text(encoding="utf-8"))
    lost = {}
    for entry in report["unmigrated"]:
        lost.setdefault(entry["table"], []).append(entry)
    assert len(lost["candidates"]) == v1_door_draws == 2 and len(lost["picks"]) == 1 and len(lost["overrides"]) == 1
    assert lost["overrides"][0]["row"]["fields"] == '{"prompt": "a door in the dark"}'
    assert all("changed or removed" in e["reason"] or "not migrated" in e["reason"] for e in report["unmigrated"])
    with StateStore(project) as store:
        ep01 = shot_ids(project, "ep01")
        assert set(store.picks()) == {ep01[HEARD]} and len(store.overrides()) == 2
        assert len(store.candidates()) == len(raw(root, "SELECT id FROM candidates", "state-v1.db")) - 2


def test_a_screenplay_that_does_not_plan_leaves_the_store_unmigrated(tmp_path):
    root = v1_project(tmp_path)
    script = root / "episodes" / "ep02.txt"
    original = script.read_text(encoding="utf-8")
    script.write_text(original.replace("乙：我走了。", "丙：我走了。"), encoding="utf-8")  # 丙 is not in the cast
    with pytest.raises(DramaError, match="migrating to schema 2") as caught:
        StateStore(Project.load(root))
    assert caught.value.path == script and "unchanged" in str(caught.value)
    assert raw(root, "PRAGMA user_version") == [(1,)] and not (root / ".drama" / "migration-v2.json").exists()
    script.write_text(original, encoding="utf-8")
    StateStore(Project.load(root)).close()
    assert raw(root, "PRAGMA user_version") == [(2,)]


def test_two_processes_opening_at_once_migrate_once(tmp_path):
    root = v1_project(tmp_path)
    project = Project.load(root)
    v1_picks = set(dict(raw(root, "SELECT shot_id, candidate_id FROM picks")).values())
    barrier, errors = threading.Barrier(2), []

    def open_store() -> None:
        barrier.wait()
        try:
            StateStore(project).close()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with StateStore(project) as store:
        assert set(store.picks().values()) == v1_picks and len(store.picks()) == 2


def test_a_store_from_a_newer_drama_is_refused_and_left_alone(tmp_path):
    root = v1_project(tmp_path)
    db = sqlite3.connect(root / ".drama" / "state.db")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    before = raw(root, "SELECT name, sql FROM sqlite_master"), raw(root, "SELECT * FROM picks")
    with pytest.raises(DramaError, match="newer drama") as caught:
        StateStore(Project.load(root))
    assert "upgrade drama" in str(caught.value) and raw(root, "PRAGMA user_version") == [(3,)]
    assert (raw(root, "SELECT name, sql FROM sqlite_master"), raw(root, "SELECT * FROM picks")) == before


def test_migrated_draws_are_kept_by_the_next_render_not_drawn_again(tmp_path):
    """Seeds derive from the shot id, so today's ids give other seeds (and other job keys): a migrated draw must
    stay the draw it is. (The fixture's cache keys are made as if this drama's engine key had not changed since.)"""
    from drama.render.executor import plan_jobs

    root = v1_project(tmp_path)
    project = Project.load(root)
    board = plan_episode(project, "ep01")
    fresh = plan_jobs(project, board, draws=2, engine="test-squares")
    with StateStore(project) as store:
        migrated = {c.key for c in store.candidates(episode="ep01")}
    db = sqlite3.connect(root / ".drama" / "state.db")
    db.executemany("UPDATE candidates SET shot_key = ? WHERE shot_id = ?", {(j.shot_key, j.shot_id) for j in fresh})
    db.commit()
    db.close()
    assert not {job.key for job in fresh} & migrated  # planned without the store, every draw would be drawn again
    with StateStore(project) as store:
        kept = plan_jobs(project, board, draws=2, engine="test-squares", store=store)
        more = plan_jobs(project, board, draws=3, engine="test-squares", store=store)
    assert {job.key for job in kept} == migrated and len(kept) == 8
    assert {job.key for job in more} > migrated and len(more) == 12  # a third draw is new
