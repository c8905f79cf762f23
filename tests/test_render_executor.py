"""Render jobs: cache keys, incremental reruns, failures, and crash safety with a real subprocess killed mid-render."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drama.errors import DramaError
from drama.project import Project
from drama.render import StateStore, render_shots
from drama.render.jobs import draw_seed, shot_jobs
from drama.render.request import build_request, draft_size, location_image
from drama.storyboard.vocabulary import Angle
from render_fakes import make_project, make_storyboard

TESTS = Path(__file__).parent


@pytest.fixture
def project(tmp_path):
    return Project.load(make_project(tmp_path / "proj"))


def test_request_carries_the_shot(project):
    (project.root / "locations").mkdir()
    (project.root / "locations" / "Kitchen.png").write_bytes((project.root / "refs" / "ann.png").read_bytes())
    shot = make_storyboard(project, ["static", "pan"]).shot("s2-pan")
    shot = shot.model_copy(update={"move_direction": -1, "angle": Angle.LOW, "time_of_day": "continuous",
                                   "characters": make_storyboard(project).shot("s1-static").characters})
    request = build_request(project, shot, seed=5)
    assert (request.width, request.height, request.fps, request.num_frames) == (64, 112, 12, 12)
    assert request.camera.kind == "pan" and request.camera.direction == -1 and request.angle == "low"
    assert request.scene.location_image == project.root / "locations" / "Kitchen.png"
    assert request.scene.time_of_day == "day"
    assert request.characters[0].color == "#c0392b" and request.characters[0].reference_images
    assert location_image(project, "the big kitchen") == project.root / "locations" / "Kitchen.png"
    assert location_image(project, "garden") is None


def test_draft_size_is_even(project):
    project.config.video.draft_scale = 0.37
    assert all(side % 2 == 0 for side in draft_size(project))


def test_cache_key_hashes_image_contents_not_paths(project, tmp_path):
    storyboard = make_storyboard(project, ["static"])
    shot = storyboard.shot("s1-static")
    key = shot_jobs(project, "ep01", shot, range(1), "test-squares", "1")[0].key
    copy = tmp_path / "elsewhere.png"
    shutil.copy(project.root / "refs" / "ann.png", copy)
    moved = shot.model_copy(update={"characters": [shot.characters[0].model_copy(update={"reference_images": [copy]})]})
    assert shot_jobs(project, "ep01", moved, range(1), "test-squares", "1")[0].key == key  # same bytes, same key
    copy.write_bytes(copy.read_bytes() + b"retouched")
    assert shot_jobs(project, "ep01", moved, range(1), "test-squares", "1")[0].key != key
    assert shot_jobs(project, "ep01", shot, range(1), "test-squares", "2")[0].key != key  # engine version
    reworded = shot.model_copy(update={"prompt": "something else"})
    assert shot_jobs(project, "ep01", reworded, range(1), "test-squares", "1")[0].key != key


def test_seeds_are_deterministic_and_drawing_more_adds_new_ones(project):
    shot = make_storyboard(project, ["static"]).shot("s1-static")
    three = shot_jobs(project, "ep01", shot, range(3), "test-squares", "1")
    five = shot_jobs(project, "ep01", shot, range(5), "test-squares", "1")
    assert [j.key for j in five[:3]] == [j.key for j in three]
    assert len({j.seed for j in five}) == 5 and five[3].seed == draw_seed("s1-static", 3)


def test_render_is_incremental_and_scores_every_candidate(project):
    storyboard = make_storyboard(project, ["static", "pan", "dolly_in"])
    first = render_shots(project, storyboard, draws=2)
    assert first.count("rendered") == 6 and not first.failed  # the title card is not rendered
    folder = project.renders_dir / first.results[0].key
    manifest = json.loads((folder / "candidate.json").read_text())
    assert {"video.mp4", "poster.png", "candidate.json"} <= {p.name for p in folder.iterdir()}
    assert manifest["request"]["camera"]["kind"] == "static" and manifest["seed"] == first.results[0].seed
    assert {p["name"] for p in manifest["score"]["parts"]} == {"flicker", "sharpness", "exposure", "motion", "camera",
                                                               "likeness", "duration"}
    assert manifest["timings"]["render_s"] > 0
    again = render_shots(project, storyboard, draws=2)
    assert again.count("cached") == 6 and again.count("rendered") == 0
    more = render_shots(project, storyboard, draws=3)
    assert more.count("rendered") == 3 and more.count("cached") == 6
    edited = storyboard.model_copy(update={"shots": [s.model_copy(update={"prompt": "new words"}) if s.id == "s2-pan"
                                                     else s for s in storyboard.shots]})
    after_edit = render_shots(project, edited, draws=3)
    assert {r.shot_id for r in after_edit.results if r.status == "rendered"} == {"s2-pan"}
    with StateStore(project) as store:
        assert sum(c.stale for c in store.candidates("s2-pan")) == 3
        assert not store.pick_for("s2-pan").stale
        pan = store.candidates("s2-pan")[0]
        assert next(p for p in pan.parts if p.name == "camera").value > 0.8


def test_a_frozen_clip_does_not_win_a_moving_shot(project):
    """A static clip has the best flicker; asked for a pan it must still lose to a clip that pans."""
    storyboard = make_storyboard(project, ["pan"])
    moving = render_shots(project, storyboard, draws=1).results[0]
    project.config.render.engine_options["frozen"] = True
    frozen = render_shots(project, storyboard, draws=1).results[0]
    assert moving.key != frozen.key  # engine options change the pixels, so they are in the key
    assert moving.score > frozen.score + 0.2


def test_one_failing_shot_does_not_stop_the_others(project):
    storyboard = make_storyboard(project, ["static", "pan"])
    broken = storyboard.model_copy(update={"shots": [
        s.model_copy(update={"prompt": "x"}) for s in storyboard.shots]})
    project.config.render.engine_options["fail"] = True
    report = render_shots(project, broken.model_copy(update={"shots": broken.shots[:2]}), draws=1)
    assert len(report.failed) == 1 and "asked to fail" in report.failed[0].error
    del project.config.render.engine_options["fail"]
    report = render_shots(project, broken, draws=1)
    assert report.count("rendered") == 2
    with StateStore(project) as store:
        assert store.failures() == []  # the retry succeeded, so the failure is gone
    assert not list(project.renders_dir.glob(".*"))


def test_unknown_engine_and_shot_are_clear_errors(project):
    storyboard = make_storyboard(project, ["static"])
    with pytest.raises(DramaError, match="available engines: .*previz") as error:
        render_shots(project, storyboard, engine="previx")
    assert "previz" in error.value.hint
    with pytest.raises(DramaError, match="no shot 's1-statik'") as error:
        render_shots(project, storyboard, shot_ids=["s1-statik"])
    assert "s1-static" in error.value.hint
    with pytest.raises(DramaError, match="title card"):
        render_shots(project, storyboard, shot_ids=["title"])


DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from drama.project import Project
    from drama.render import render_shots
    from render_fakes import make_storyboard
    project = Project.load({root!r})
    render_shots(project, make_storyboard(project, ["static", "pan", "tilt", "zoom"]), draws=2, workers={workers})
""")


def _orphans(script: Path) -> list[str]:
    """Processes still running the driver script (its pool's workers carry its command line)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(script).encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            continue
    return found


def _complete(folder: Path) -> bool:
    manifest = json.loads((folder / "candidate.json").read_text())
    return (folder / "video.mp4").stat().st_size > 0 and (folder / "poster.png").is_file() and \
        manifest["key"] == folder.name and manifest["score"]["total"] > 0


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_render_leaves_no_partial_candidate_and_resumes(tmp_path, sig, workers):
    """In this process or with a pool of worker processes: killed (SIGKILL) or interrupted (Ctrl-C) mid-draw,
    a render leaves only complete draws, and a rerun draws exactly the rest."""
    root = make_project(tmp_path / "proj", engine_options={"slow": 0.1})
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(tests=str(TESTS), root=str(root), workers=workers))
    renders = root / "renders"
    # a shell running us in the background ignores SIGINT, and children inherit that: restore the default,
    # so the driver gets KeyboardInterrupt like a creator pressing Ctrl-C
    process = subprocess.Popen([sys.executable, str(script)], cwd=TESTS.parent, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(TESTS.parent)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once some draws are done and another is half-written
        done = [p for p in renders.glob("[!.]*")] if renders.is_dir() else []
        if len(done) >= 2 and list(renders.glob(".*.partial")):
            break
        if process.poll() is not None:
            pytest.fail(f"the render ended (exit {process.returncode}) before it could be killed mid-draw")
        time.sleep(0.02)
    process.send_signal(sig)
    process.wait(30)
    stderr = process.stderr.read().decode()
    assert process.returncode != 0, stderr
    finished = [p for p in renders.glob("[!.]*")]
    assert 2 <= len(finished) < 8
    assert all(_complete(folder) for folder in finished)  # nothing half-written ever has a final name
    if sig == signal.SIGINT:
        assert "KeyboardInterrupt" in stderr and not list(renders.glob(".*"))  # cleaned up on the way out
    if sig == signal.SIGKILL and workers > 1:  # the workers died with their parent: none is left drawing
        time.sleep(0.5)
        assert not _orphans(script)

    project = Project.load(root)
    report = render_shots(project, make_storyboard(project, ["static", "pan", "tilt", "zoom"]), draws=2)
    assert report.count("cached") == len(finished) and report.count("rendered") == 8 - len(finished)
    assert not list(renders.glob(".*"))
    assert len(list(renders.iterdir())) == 8 and all(_complete(p) for p in renders.iterdir())
    with StateStore(project) as store:
        keys = [c.key for c in store.candidates()]
        assert len(keys) == len(set(keys)) == 8


def test_workers_from_the_cli_and_drama_toml(tmp_path):
    from drama.cli import main
    from drama.render.executor import choose_runner
    from drama.render.pool import InProcess, ProcessPool

    root = make_project(tmp_path / "proj")
    project = Project.load(root)
    assert isinstance(choose_runner(project, "test-squares", workers=1), InProcess)
    assert choose_runner(project, "test-squares", workers=3).workers == 3
    assert isinstance(choose_runner(project, "test-squares-gpu", workers=3), InProcess)  # one GPU: one at a time
    project.config.render.workers = 2
    assert isinstance(choose_runner(project, "test-squares"), ProcessPool)
    notes: list[str] = []
    assert isinstance(choose_runner(project, "kling", cluster="127.0.0.1:1", notes=notes), InProcess)
    assert "kling draws through its provider's task queue" in notes[0]  # and no cluster was contacted

    with (root / "drama.toml").open("a", encoding="utf-8") as config:
        config.write('[voice]\nbackend = "offline"\n')
    (root / "episodes").mkdir()
    (root / "episodes" / "ep01.fountain").write_text("INT. KITCHEN - DAY\n\nAnn waits.\n\nANN\nWell?\n", encoding="utf-8")
    assert main(["render", str(root), "--workers", "2"]) == 0
    assert len([p for p in (root / "renders").iterdir()]) >= 2 and not list((root / "renders").glob(".*"))
    with pytest.raises(SystemExit):
        main(["render", str(root), "--workers", "0"])


def test_a_cluster_without_ray_installed_says_what_to_install(project, monkeypatch):
    from drama.errors import RenderError

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the ray extra were not installed
    with pytest.raises(RenderError, match="needs Ray, which is not installed") as error:
        render_shots(project, make_storyboard(project, ["static"]), draws=1, cluster="127.0.0.1:6379")
    assert "pip install -e '.[ray]'" in error.value.hint
    assert not project.renders_dir.exists() or not any(project.renders_dir.iterdir())
