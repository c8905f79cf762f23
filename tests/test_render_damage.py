"""Damaged draws: a bad folder under renders/ is found when loaded, set aside with a warning naming it, and drawn
again — one bad folder never stops a whole render, and a truncated video is never "cached"."""

from __future__ import annotations

import json
import logging

import pytest

from drama.project import Project
from drama.render import StateStore, render_shots
from drama.render import damage
from drama.render.executor import load_candidate
from render_fakes import make_project, make_storyboard

MOVES = ["static", "pan"]


@pytest.fixture
def rendered(tmp_path):
    """A project with two shots drawn once each; returns it and the keys of the draws."""
    project = Project.load(make_project(tmp_path / "proj"))
    report = render_shots(project, make_storyboard(project, MOVES), draws=1)
    assert report.count("rendered") == 2
    return project, [result.key for result in report.results]


def _truncate(path, keep: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


DAMAGE = {
    "corrupt manifest": lambda folder: _truncate(folder / "candidate.json", 0.5),
    "manifest missing a field": lambda folder: (folder / "candidate.json").write_text(json.dumps(
        {k: v for k, v in json.loads((folder / "candidate.json").read_text()).items() if k != "score"})),
    "no manifest": lambda folder: (folder / "candidate.json").unlink(),
    "truncated video": lambda folder: _truncate(folder / "video.mp4"),
    "no video": lambda folder: (folder / "video.mp4").unlink(),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_draw_is_set_aside_and_drawn_again(rendered, kind, caplog):
    project, (bad, good) = rendered
    folder = project.renders_dir / bad
    DAMAGE[kind](folder)
    with caplog.at_level(logging.WARNING, logger=damage.__name__):
        report = render_shots(project, make_storyboard(project, MOVES), draws=1)
    assert {r.key: r.status for r in report.results} == {bad: "rendered", good: "cached"}
    [aside] = (project.renders_dir / damage.DAMAGED_DIR).iterdir()
    assert aside.name.startswith(f"{bad}-")
    assert str(folder) in caplog.text and str(aside) in caplog.text
    assert load_candidate(project, bad) is not None  # whole again
    with StateStore(project) as store:
        assert store.failures() == []


def test_a_draw_whose_engine_wrote_a_truncated_video_fails_and_is_not_published(rendered, monkeypatch):
    project, _ = rendered
    from render_fakes import SquaresEngine

    render = SquaresEngine.render

    def truncating(self, request, out_dir):
        clip = render(self, request, out_dir)
        _truncate(clip.video)
        return clip

    monkeypatch.setattr(SquaresEngine, "render", truncating)
    report = render_shots(project, make_storyboard(project, MOVES), draws=2)
    assert report.count("failed") == 2 and "truncated" in report.failed[0].error
    assert len(list(project.renders_dir.glob("[!.]*"))) == 2  # only the two good draws from before


def test_a_video_is_probed_before_publishing_and_checked_by_size_after(rendered, monkeypatch):
    project, (key, _) = rendered
    calls = []
    import engine.video

    probe = engine.video.probe
    monkeypatch.setattr(engine.video, "probe", lambda path: calls.append(path) or probe(path))
    damage._videos_checked.clear()
    assert load_candidate(project, key) is not None and calls == []  # its size was recorded when it was drawn
    manifest = project.renders_dir / key / "candidate.json"
    data = json.loads(manifest.read_text())
    del data["clip"]["video_bytes"]  # a draw from before sizes were recorded: probed, once per process
    manifest.write_text(json.dumps(data))
    for _ in range(3):
        assert load_candidate(project, key) is not None
    assert len(calls) == 1
    _truncate(project.renders_dir / key / "video.mp4")
    assert load_candidate(project, key) is None and len(calls) == 2


def test_a_picked_draw_that_is_damaged_and_fails_to_redraw_leaves_no_record_of_a_missing_folder(rendered,
                                                                                             monkeypatch):
    """The store never points at a draw that is not there; the creator's pick comes back with the redraw."""
    import render_fakes

    project, (bad, good) = rendered
    with StateStore(project) as store:
        shot_id = next(c.shot_id for c in store.candidates() if c.key == bad)
        store.pick(shot_id, bad[:10])
    _truncate(project.renders_dir / bad / "video.mp4")
    with monkeypatch.context() as patch:  # the engine is down while the damaged draw is drawn again
        patch.setattr(render_fakes.SquaresEngine, "render", lambda *args: (_ for _ in ()).throw(RuntimeError("down")))
        report = render_shots(project, make_storyboard(project, MOVES), draws=1)
    assert {r.key: r.status for r in report.results} == {bad: "failed", good: "cached"}
    with StateStore(project) as store:
        assert not store.has_candidate(bad) and store.pick_for(shot_id) is None  # nothing points at the moved folder
    render_shots(project, make_storyboard(project, MOVES), draws=1)
    with StateStore(project) as store:
        assert store.creator_pick(shot_id).key == bad  # the redraw has the same key: the pick holds again
