"""Drawing on a real Ray cluster started here: a head and a worker node as separate `ray start` processes on
127.0.0.1, each with one CPU and one fake GPU, so both CPU and GPU scheduling are exercised. The cluster is
stopped by the fixture, which kills only the processes it started."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from drama.errors import RenderError
from drama.project import Project
from drama.render import StateStore, render_shots
from render_fakes import make_project, make_storyboard

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[ray]'")

from ray_nodes import LocalCluster  # noqa: E402

MOVES = ["static", "pan", "tilt", "zoom"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nodes = LocalCluster(tmp_path_factory.mktemp("ray") / "t")
    try:
        nodes.add(cpus=1, gpus=1)
        nodes.add(cpus=1, gpus=1)
        yield nodes
    finally:
        nodes.stop()


def _draws(project: Project) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(project.renders_dir.glob("*/candidate.json"))]


def _lands_once(project: Project, jobs: int) -> None:
    """Every job landed exactly once, complete, and the state store holds exactly the folders."""
    folders = [p for p in project.renders_dir.iterdir()]
    assert not [p for p in folders if p.name.startswith(".")], "a partial folder was left behind"
    assert len(folders) == jobs
    for folder in folders:
        record = json.loads((folder / "candidate.json").read_text())
        assert record["key"] == folder.name and (folder / "video.mp4").stat().st_size > 0
        assert (folder / "poster.png").is_file() and record["score"]["total"] > 0
    with StateStore(project) as store:
        keys = [c.key for c in store.candidates()]
    assert sorted(keys) == sorted(p.name for p in folders)


def test_a_render_on_the_cluster_matches_a_local_one(cluster, tmp_path):
    local = Project.load(make_project(tmp_path / "local"))
    remote = Project.load(make_project(tmp_path / "remote"))
    render_shots(local, make_storyboard(local, MOVES), draws=2, workers=1)
    report = render_shots(remote, make_storyboard(remote, MOVES), draws=2, cluster=cluster.address)
    assert report.count("rendered") == 8 and not report.failed
    assert "2 nodes, 2 CPUs, 2 GPUs" in report.notes[0]
    _lands_once(remote, 8)
    drawn = _draws(remote)
    assert len({d["ran_on"]["node"] for d in drawn}) == 2  # both nodes drew
    assert all(d["ran_on"]["gpus"] == [] for d in drawn)  # a CPU engine gets no GPU
    # the reference portrait travelled with the request: the likeness part was measured on the nodes
    assert any(p["name"] == "likeness" and p["value"] is not None for d in drawn for p in d["score"]["parts"])
    same = {d["key"]: d["score"]["total"] for d in _draws(local)}
    assert {d["key"]: d["score"]["total"] for d in drawn} == same  # the same draws, wherever they ran

    again = render_shots(remote, make_storyboard(remote, MOVES), draws=2, cluster=cluster.address)
    assert again.count("cached") == 8  # the cache is the project's, not the cluster's


def test_the_cli_draws_on_the_cluster_and_says_so(cluster, tmp_path, capsys):
    from drama.cli import main

    root = make_project(tmp_path / "proj")
    with (root / "drama.toml").open("a", encoding="utf-8") as config:
        config.write('[voice]\nbackend = "offline"\n')
    (root / "episodes").mkdir()
    (root / "episodes" / "ep01.fountain").write_text("INT. KITCHEN - DAY\n\nAnn waits.\n\nANN\nWell?\n", encoding="utf-8")
    assert main(["render", str(root), "--cluster", cluster.address]) == 0
    out = capsys.readouterr().out
    assert f"drawing on the Ray cluster at {cluster.address}: 2 nodes" in out
    drawn = _draws(Project.load(root))
    assert drawn and all("ran_on" in d for d in drawn)


def test_gpu_engine_draws_one_per_gpu_and_a_dying_node_loses_no_job(cluster, tmp_path):
    project = Project.load(make_project(tmp_path / "proj", engine_options={"slow": 0.08}))
    storyboard = make_storyboard(project, MOVES)
    outcome: dict = {}

    def render() -> None:
        try:
            outcome["report"] = render_shots(project, storyboard, draws=2, engine="test-squares-gpu",
                                             cluster=cluster.address)
        except BaseException as error:  # noqa: BLE001 — handed to the test thread
            outcome["error"] = error

    thread = threading.Thread(target=render)
    thread.start()
    worker = cluster.nodes[1]
    deadline = time.monotonic() + 120
    while len({d["ran_on"]["node"] for d in _draws(project)}) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # until both nodes have drawn: the worker's actor is up and busy
    landed_before = len(list(project.renders_dir.glob("[!.]*")))
    assert 2 <= landed_before < 8, "the render ended before the node could be killed mid-render"
    os.kill(worker.raylet(), signal.SIGKILL)  # the worker node dies with draws under way
    thread.join(180)
    assert not thread.is_alive(), "the render hung after the node died"
    assert "error" not in outcome, outcome.get("error")
    report = outcome["report"]
    assert report.count("rendered") == 8 and not report.failed
    assert any("lost with their node and drawn again" in note for note in report.notes), report.notes
    _lands_once(project, 8)
    drawn = _draws(project)
    assert all(d["ran_on"]["gpus"] for d in drawn)  # every draw ran in an actor holding a (fake) GPU
    nodes = {d["ran_on"]["node"] for d in drawn}
    assert len(nodes) == 2  # both GPUs drew before the node died, the head's after


def test_an_unreachable_cluster_is_a_clear_error(tmp_path, monkeypatch):
    project = Project.load(make_project(tmp_path / "proj"))
    if ray.is_initialized():
        ray.shutdown()  # the module's cluster may still be connected; this test connects elsewhere
    port = __import__("ray_nodes").free_port()
    with pytest.raises(RenderError, match="cannot reach the Ray cluster") as error:
        render_shots(project, make_storyboard(project, ["static"]), draws=1, cluster=f"127.0.0.1:{port}")
    assert "ray start --head" in error.value.hint
    assert not list(project.renders_dir.glob("*")) if project.renders_dir.is_dir() else True
