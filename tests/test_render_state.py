"""The state store: picks, overrides, stale candidates, and two processes writing at once."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from drama.errors import DramaError
from drama.pipeline import apply_overrides, keep_duration_overrides
from drama.project import Project
from drama.render.scoring import ScorePart
from drama.render.state import Candidate, ShotOverride, StateStore
from drama.storyboard.vocabulary import Move
from render_fakes import make_project, make_storyboard


@pytest.fixture
def project(tmp_path):
    return Project.load(make_project(tmp_path / "proj"))


def candidate(project, shot_id: str, draw: int, score: float, shot_key: str = "v1") -> Candidate:
    key = f"{shot_id}-{shot_key}-{draw:03d}".ljust(32, "0")
    return Candidate(id=f"{shot_id[:3]}{shot_key}{draw:03d}".ljust(10, "x"), key=key, shot_key=shot_key, episode="ep01",
                     shot_id=shot_id, draw=draw, seed=draw, path=project.renders_dir / key, engine="test-squares",
                     engine_version="1", score=score, created=time.time(),
                     parts=[ScorePart(name="flicker", value=score, weight=1.0, explanation="made up for the test")])


def test_best_score_is_the_default_and_the_creators_pick_wins(project):
    with StateStore(project) as store:
        low, high = candidate(project, "s1", 0, 0.4), candidate(project, "s1", 1, 0.9)
        store.add_candidate(low)
        store.add_candidate(high)
        store.add_candidate(high)  # idempotent
        assert len(store.candidates("s1")) == 2
        assert store.pick_for("s1").id == high.id
        store.pick("s1", low.id[:7])  # a unique prefix is enough
        assert store.pick_for("s1").id == low.id
        store.unpick("s1")
        assert store.pick_for("s1").id == high.id
        assert store.pick_for("nothing") is None


def test_unknown_shot_or_candidate_is_a_clear_error(project):
    with StateStore(project) as store:
        store.add_candidate(candidate(project, "s1-pan", 0, 0.5))
        with pytest.raises(DramaError, match="no candidates") as error:
            store.pick("s1-pam", "whatever")
        assert "s1-pan" in error.value.hint
        with pytest.raises(DramaError, match="not a candidate") as error:
            store.pick("s1-pan", "s1-v1xxxxx")
        assert "did you mean" in error.value.hint


def test_stale_candidates_are_kept_and_the_pick_survives_replanning(project):
    with StateStore(project) as store:
        old = candidate(project, "s1", 0, 0.95, shot_key="v1")
        store.add_candidate(old)
        store.pick("s1", old.id)
        assert store.mark_stale("s1", "v2") == 1  # the shot changed: its draw is stale, not deleted
        new = candidate(project, "s1", 0, 0.5, shot_key="v2")
        store.add_candidate(new)
        assert [c.stale for c in store.candidates("s1")] == [False, True]  # current first
        assert store.pick_for("s1").id == old.id  # the creator's pick still wins
        store.unpick("s1")
        assert store.pick_for("s1").id == new.id  # automatic choice prefers current over a better stale draw
    with StateStore(project) as reopened:  # survives a new process / re-plan
        assert reopened.candidates("s1")[1].stale


def test_overrides_merge_validate_and_apply(project):
    with StateStore(project) as store:
        store.set_override("s1-static", prompt="rain on the window", move="dolly_in")
        store.set_override("s1-static", duration=4.0)
        assert store.override("s1-static") == ShotOverride(prompt="rain on the window", move=Move.DOLLY_IN, duration=4.0)
        with pytest.raises(DramaError, match="editable fields"):
            store.set_override("s1-static", colour="red")
        with pytest.raises(DramaError, match="move"):
            store.set_override("s1-static", move="moonwalk")
        store.set_override("gone-shot", size="CU")  # kept even when the shot no longer exists
        overrides = store.overrides()
        assert store.export()["overrides"]["s1-static"] == {"prompt": "rain on the window", "move": "dolly_in",
                                                            "duration": 4.0}
    storyboard = make_storyboard(project, ["static", "pan"])
    edited = apply_overrides(storyboard, overrides)
    shot = edited.shot("s1-static")
    assert (shot.prompt, shot.move, shot.duration) == ("rain on the window", Move.DOLLY_IN, 4.0)
    assert edited.shot("s2-pan") == storyboard.shot("s2-pan")
    # after voice timing the creator's duration wins unless it would cut the line
    voiced = edited.model_copy(update={"shots": [s.model_copy(update={"duration": 5.0}) for s in edited.shots]})
    assert keep_duration_overrides(voiced, overrides).shot("s1-static").duration == 5.0
    assert keep_duration_overrides(edited, overrides).shot("s1-static").duration == 4.0


def _writer(root: str, name: str, count: int) -> None:
    project = Project.load(root)
    with StateStore(project) as store:
        for i in range(count):
            store.add_candidate(candidate(project, f"{name}", i, i / count, shot_key="v1"))
            store.pick(name, store.candidates(name)[0].id)
            store.set_override(name, prompt=f"take {i}")


def test_two_processes_write_at_once(project):
    """render and the review page run at the same time: WAL + busy timeout, no 'database is locked'."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(project.root), name, 40)) for name in ("render", "review")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    with StateStore(project) as store:
        assert len(store.candidates("render")) == len(store.candidates("review")) == 40
        assert set(store.picks()) == {"render", "review"}
        assert store.override("review").prompt == "take 39"
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_opening_an_up_to_date_store_writes_nothing(project):
    """Readers (status, every review poll) open the store; that must not take the write lock or count as a
    change that other readers' caches see."""
    import sqlite3

    StateStore(project).close()  # created
    watcher = sqlite3.connect(project.state_dir / "state.db")
    before = watcher.execute("PRAGMA data_version").fetchone()[0]
    with StateStore(project) as store:
        store.candidates()
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
    with StateStore(project) as store:
        store.set_override("s1-static", prompt="changed")
    assert watcher.execute("PRAGMA data_version").fetchone()[0] != before  # a real write is seen
    watcher.close()


def test_a_shot_budget_counts_its_keyframes_its_video_and_its_passes_together(project):
    def book(key: str, track: str, cost: float) -> str | None:
        return store.reserve(key, engine="kling", provider="kling", episode="ep01", shot_id=track, units=1, cost=cost,
                             budget=None, shot_budget=1.0)

    with StateStore(project) as store:
        assert book("k1", "s1/keyframe", 0.4) is None
        assert book("k2", "s1", 0.4) is None
        refusal = book("k3", "s1/lipsync", 0.4)  # 0.8 booked for s1 already, in two of its tracks
        assert refusal is not None and "shot s1 (1)" in refusal and "0.8 spent or running" in refusal
        assert book("k4", "s2", 0.9) is None  # another shot has its own
        assert book("k5", "cast/Ann/front", 0.9) is None and book("k6", "cast/Ann/side", 0.9) is None  # sheet views too
