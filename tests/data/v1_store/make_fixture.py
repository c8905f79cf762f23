"""How state-v1.sql and manifests/ were made: run with drama at commit fa7ce82 (schema 1, before shot ids held
the episode), e.g. `git archive fa7ce82 | tar -x -C /tmp/old && cd /tmp/old && PYTHONPATH=.:tests python
/path/to/make_fixture.py /path/to/tests/data/v1_store`. Kept for the record; the tests only read its output."""

import json
import shutil
import sqlite3
import sys
from pathlib import Path

import render_fakes  # noqa: F401  (the test-squares engine)
from drama.project import Project
from drama.render import StateStore, render_shots
from drama.storyboard import plan_episode

here = Path(sys.argv[1])
work = Path("/tmp/v1-fixture")
shutil.rmtree(work, ignore_errors=True)
shutil.copytree(here / "project", work)
project = Project.load(work)
boards = {e: plan_episode(project, e) for e in ("ep01", "ep02")}
for board in boards.values():
    render_shots(project, board)
heard, gone, left = (next(s.id for s in boards["ep01"].shots if s.text == text) for text in ("你听见了吗？", "门外有人。", "没人啊。"))
with StateStore(project) as store:
    store.pick(heard, min(store.candidates(heard), key=lambda c: c.score).id)  # shared by ep01 and ep02
    store.pick(gone, store.candidates(gone)[-1].id)  # ep01 only; the test then rewrites this line
    store.set_override(left, size="CU")  # shared by ep01 and ep02
    store.set_override(gone, prompt="a door in the dark")
db = sqlite3.connect(work / ".drama" / "state.db")
assert db.execute("PRAGMA user_version").fetchone()[0] == 1
(here / "state-v1.sql").write_text("\n".join(db.iterdump()) + "\n", encoding="utf-8")
shutil.rmtree(here / "manifests", ignore_errors=True)
for manifest in (work / "renders").glob("*/candidate.json"):
    data = json.loads(manifest.read_text(encoding="utf-8"))
    target = here / "manifests" / manifest.parent.name / "candidate.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({k: data[k] for k in ("id", "key", "episode", "shot_id", "draw", "seed")},
                                 indent=2) + "\n", encoding="utf-8")
