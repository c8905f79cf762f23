"""Two-stage drawing: keyframes first, then video from the picked keyframe (drama.render.keyframes), on test engines
whose pixels can be checked — test-stills paints a seeded picture, test-i2v's frame 0 is the image it is given.

H.264 tolerance: a test-i2v clip is encoded at crf 12 in yuv420p, so its decoded frame 0 differs from the PNG it was
given by about 2 levels (of 255) on average (under 4 allowed); two different seeded stills differ by tens."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from drama.cli import main
from drama.project import Project
from drama.render import StateStore, render_shots
from drama.render.continuity import stale_reason
from drama.render.status import episode_status
from drama.render.tracks import keyframe_track
from engine.video import read_selected
from english_project import english_project, said
from render_fakes import make_project, make_storyboard

H264 = 4.0  # mean absolute difference, in levels of 255, between a picture and its crf-12 H.264 decode


def two_stage(tmp_path: Path, *, engine: str = "test-i2v", keyframes: str = "test-stills", render: str = "") -> Project:
    """make_project's tiny project drawing video on `engine` from keyframes on `keyframes` (3 a shot)."""
    root = make_project(tmp_path / "p")
    config = root / "drama.toml"
    text = config.read_text(encoding="utf-8").replace('engine = "test-squares"', f'engine = "{engine}"')
    config.write_text(text + f'keyframes = "{keyframes}"\nkeyframe_draws = 3\n{render}', encoding="utf-8")
    return Project.load(root)


def first_frame(candidate) -> Path | None:
    """The image the draw was asked to start from, as its candidate.json records the request."""
    path = json.loads((candidate.path / "candidate.json").read_text(encoding="utf-8"))["request"]["first_frame"]
    return Path(path) if path else None


def frame(video: Path, which: int = 0) -> np.ndarray:
    return read_selected(video, lambda total: [which % total])[2][0].astype(float)


def picture(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=float)


def test_two_stage_render_draws_keyframes_then_video_from_the_best(tmp_path):
    project = two_stage(tmp_path)
    storyboard = make_storyboard(project, ["pan", "pan"])
    report = render_shots(project, storyboard, workers=1)
    assert report.count("rendered") == 2 * 3 + 2 * 2 and not report.failed and report.keyframe_engine == "test-stills"
    with StateStore(project) as store:
        for shot_id in ("s1-pan", "s2-pan"):
            stills = store.candidates(keyframe_track(shot_id))
            assert len(stills) == 3 and len({(c.path / "still.png").read_bytes() for c in stills}) == 3
            best = max(stills, key=lambda c: c.score)
            videos = store.candidates(shot_id)
            assert len(videos) == 2
            for video in videos:
                assert first_frame(video) == best.path / "still.png"
                assert np.abs(frame(video.video) - picture(best.path / "still.png")).mean() < H264
            other = next(c for c in stills if c.id != best.id)
            assert np.abs(frame(videos[0].video) - picture(other.path / "still.png")).mean() > 5 * H264
        # keyframe tracks are tracks, never shots: status lists the storyboard's shots and counts the keyframes
        rows = episode_status(project, storyboard, store)
        assert [r.shot_id for r in rows] == ["title", "s1-pan", "s2-pan"]
        assert [(r.keyframes, r.keyframe_picked_by, r.state) for r in rows[1:]] == [(3, "auto", "ok")] * 2
    assert render_shots(project, storyboard, workers=1).count("rendered") == 0  # all cached


def test_a_new_keyframe_pick_makes_exactly_its_shots_video_draws_stale(tmp_path):
    project = two_stage(tmp_path)
    storyboard = make_storyboard(project, ["pan", "pan"])
    render_shots(project, storyboard, workers=1)
    with StateStore(project) as store:
        stills = store.candidates(keyframe_track("s1-pan"))  # best first
        used, chosen = stills[0], stills[-1]
        store.pick(keyframe_track("s1-pan"), chosen.id)
        rows = {r.shot_id: r for r in episode_status(project, storyboard, store)}
        assert (rows["s1-pan"].draws, rows["s1-pan"].stale_draws, rows["s1-pan"].state) == (0, 2, "stale")
        assert (rows["s1-pan"].keyframe, rows["s1-pan"].keyframe_picked_by) == (chosen.id, "creator")
        assert (rows["s2-pan"].draws, rows["s2-pan"].stale_draws, rows["s2-pan"].state) == (2, 0, "ok")
        for video in store.candidates("s1-pan"):
            assert stale_reason(project, store, storyboard.shot("s1-pan"), video) == \
                f"drawn from keyframe {used.id}; the keyframe pick is now {chosen.id}"
        assert [stale_reason(project, store, storyboard.shot("s2-pan"), v) for v in store.candidates("s2-pan")] == \
            [None, None]
    again = render_shots(project, storyboard, workers=1)
    assert sorted((r.shot_id, r.status) for r in again.results if r.status != "cached") == \
        [("s1-pan", "rendered"), ("s1-pan", "rendered")]
    with StateStore(project) as store:
        drawn = store.candidates("s1-pan")
        assert sum(c.stale for c in drawn) == 2 and not any(c.stale for c in store.candidates("s2-pan"))
        for video in (c for c in drawn if not c.stale):
            assert first_frame(video) == chosen.path / "still.png"
            assert np.abs(frame(video.video) - picture(chosen.path / "still.png")).mean() < H264


def test_an_engine_without_first_frames_is_told_nothing_new(tmp_path):
    """test-squares takes no first frame: its draws keep the keys they have without keyframes, and a note says so."""
    plain = make_project(tmp_path / "plain")
    storyboard = make_storyboard(Project.load(plain), ["static"])
    without = render_shots(Project.load(plain), storyboard, workers=1)
    project = two_stage(tmp_path, engine="test-squares")
    report = render_shots(project, storyboard, workers=1)
    videos = [r for r in report.results if r.shot_id == "s1-static"]
    assert [r.key for r in videos] == [r.key for r in without.results]
    assert any("takes no first frame" in note and "not from the keyframes" in note for note in report.notes)
    with StateStore(project) as store:
        assert len(store.candidates(keyframe_track("s1-static"))) == 3
        assert all(first_frame(c) is None for c in store.candidates("s1-static"))


def test_keyframes_follow_the_previz_layout(tmp_path):
    """With control = "previz" a keyframe request carries the first frame of the shot's previz draw as its layout,
    and the still is scored against it."""
    project = two_stage(tmp_path, render='control = "previz"\n')
    storyboard = make_storyboard(project, ["static", "pan"])  # the previz draws shot 2: nobody, in a kitchen
    render_shots(project, storyboard, shot_ids=["s2-pan"], stage="keyframes", workers=1)
    with StateStore(project) as store:
        stills = store.candidates(keyframe_track("s2-pan"))
        assert len(stills) == 3 and not store.candidates("s2-pan") and not store.candidates(keyframe_track("s1-static"))
        record = json.loads((stills[0].path / "candidate.json").read_text(encoding="utf-8"))
        (control,) = record["request"]["controls"]
        assert control["kind"] == "layout" and record["request"]["num_frames"] == 1
        layout = Path(control["path"])
        assert layout.parent == project.cache_dir / "frames" and layout.name.endswith("-first.png")
        previz = project.renders_dir / layout.name.removesuffix("-first.png") / "video.mp4"
        assert np.array_equal(picture(layout), frame(previz, 0))
        assert next(p for p in stills[0].parts if p.name == "layout").value is not None


# --- the command line: keyframes, pick, video; paid stages --------------------------------------------------------

def screenplay_project(root: Path, render: str) -> Path:
    return english_project(root, '[video]\nwidth = 64\nheight = 112\nfps = 12\ndraft_scale = 1.0\n'
                                 f'[voice]\nbackend = "offline"\n[render]\nworkers = 1\n{render}', title="two-stage")


def status(root: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["status", str(root), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_keyframes_then_pick_then_video(tmp_path, capsys):
    root = screenplay_project(tmp_path / "p", 'engine = "test-i2v"\ndraws = 1\nkeyframes = "test-stills"\n'
                                              'keyframe_draws = 2\n')
    assert main(["render", str(root), "--stage", "video"]) == 1  # no keyframes yet: nothing to start from
    assert "video not drawn: it has no keyframe yet" in said(capsys)
    assert main(["render", str(root), "--stage", "keyframes"]) == 0
    shots = [row for row in status(root, capsys)["episodes"]["ep01"]]
    assert len(shots) == 3 and all(row["keyframes"] == 2 and row["draws"] == 0 for row in shots)
    project = Project.load(root)
    with StateStore(project) as store:
        track = keyframe_track(shots[0]["shot_id"])
        other = store.candidates(track)[-1]  # not the best: the one the creator prefers
    assert main(["pick", str(root), track, other.id[:6]]) == 0
    assert f"picked {other.id}" in said(capsys)
    assert main(["render", str(root), "--stage", "video"]) == 0
    with StateStore(project) as store:
        (video,) = store.candidates(shots[0]["shot_id"])
        assert first_frame(video) == other.path / "still.png"
        assert len(store.candidates(track)) == 2  # the video stage drew no keyframe
    row = status(root, capsys)["episodes"]["ep01"][0]
    assert (row["keyframe"], row["keyframe_picked_by"], row["starts_from"]) == (other.id, "creator",
                                                                                f"keyframe {other.id}")


def test_cli_stage_keyframes_needs_a_keyframe_engine(tmp_path, capsys):
    root = screenplay_project(tmp_path / "p", 'engine = "test-i2v"\n')
    assert main(["render", str(root), "--stage", "keyframes"]) == 2
    assert "[render] keyframes names no image engine" in said(capsys)
    root = screenplay_project(tmp_path / "q", 'engine = "test-i2v"\nkeyframes = "test-i2v"\n')
    assert main(["render", str(root)]) == 2
    assert "'test-i2v' draws video, not stills" in said(capsys)
    root = screenplay_project(tmp_path / "r", 'engine = "test-i2v"\nkeyframes = "test-stils"\n')
    for command in ("render", "status"):
        assert main([command, str(root)]) == 2
        text = said(capsys)
        assert "drama.toml:13: unknown keyframe engine 'test-stils'" in text and "did you mean 'test-stills'?" in text


def test_budget_and_ledger_count_both_stages(tmp_path, capsys):
    """Stills at 0.05 and clips at 0.5 (the paid test engines' prices): 3 shots × 2 stills = 0.30, then a budget of
    1.30 leaves room for two of the six clips; the ledger holds both stages, status the cost per accepted second
    (the creator accepts every clip drawn)."""
    root = screenplay_project(tmp_path / "p", 'engine = "test-paid-i2v"\ndraws = 2\nkeyframes = "test-paid-stills"\n'
                                              'keyframe_draws = 2\nbudget = 1.3\n')
    main(["render", str(root)])
    assert "the budget of episode ep01 (1.3) would be exceeded" in said(capsys)
    with StateStore(Project.load(root)) as store:
        ledger = store.ledger()
        for shot_id in {e.shot_id for e in ledger if not e.shot_id.endswith("/keyframe")}:
            store.pick(shot_id, store.candidates(shot_id)[0].id)
    stills = [e for e in ledger if e.shot_id.endswith("/keyframe")]
    clips = [e for e in ledger if not e.shot_id.endswith("/keyframe")]
    assert len(stills) == 6 and {e.cost for e in stills} == {0.05} and {e.engine for e in stills} == {"test-paid-stills"}
    assert len(clips) == 2 and {e.cost for e in clips} == {0.5}
    assert {e.outcome for e in ledger} == {"billed"} and sum(e.cost for e in ledger) == pytest.approx(1.3)
    shown = status(root, capsys)
    assert sum(shown["spend"]["ep01"].values()) == pytest.approx(1.3)
    accepted = sum(row["duration"] for row in shown["episodes"]["ep01"] if row["state"] == "ok")
    assert accepted > 0
    assert shown["cost_per_accepted_second"]["ep01"] == pytest.approx(1.3 / accepted, abs=1e-4)
    capsys.readouterr()
    assert main(["status", str(root)]) == 0
    text = said(capsys)
    assert "spent on paid draws: 1.30 USD this episode" in text
    assert re.search(rf"{1.3 / accepted:.3f} USD per accepted second", text)
