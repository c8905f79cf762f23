"""Rendering at scale: the demo's previz draws with 1 worker against N, scoring against drawing, and a two-node
Ray cluster started on this machine against local workers on the same jobs.

    python bench/render_scale.py [--workers 2] [--draws 3] [--no-cluster]

The demo is copied to a temp folder (its own 1080x1920 size, drafts at half) and voiced once offline; each run
then renders the same jobs into a fresh copy, so every run draws everything. Printed:
- wall time with 1 worker and with N, the speed-up (target on a 2-core machine: >= 1.7x), and the cores each run
  keeps busy: one previz worker already keeps more than one busy (its x264 encodes beside it), which bounds the
  speed-up any pool can reach;
- per draw, the render and the scoring time candidate.json records, and scoring / render (target <= 20 %);
- the cluster (two nodes of one CPU each, on 127.0.0.1) against 2 local workers on the same jobs: the overhead per
  job of scheduling and moving the request and the draw's bytes through Ray.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from drama.pipeline import prepare_episode  # noqa: E402
from drama.project import Project  # noqa: E402
from drama.render import render_shots  # noqa: E402

DEMO = ROOT / "projects" / "demo"
console = Console()


def voiced_demo(scratch: Path) -> Path:
    root = scratch / "voiced"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns(".drama", "renders", "exports"))
    config = root / "drama.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('backend = "auto"', 'backend = "offline"'),
                      encoding="utf-8")
    prepare_episode(Project.load(root), "ep01", speak=True)
    return root


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (pool workers, ffmpeg)."""
    return sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))


def render(voiced: Path, scratch: Path, name: str, draws: int, **where) -> tuple[float, float, list[dict]]:
    """Wall and CPU seconds (this machine's) to draw every job of ep01 in a fresh copy, and each candidate.json."""
    root = Path(shutil.copytree(voiced, scratch / name))
    project = Project.load(root)
    storyboard = prepare_episode(project, "ep01").storyboard
    cpu, started = _cpu(), time.perf_counter()
    report = render_shots(project, storyboard, draws=draws, **where)
    seconds = time.perf_counter() - started
    assert not report.failed and report.count("rendered") == len(report.results), report.failed
    return seconds, _cpu() - cpu, [json.loads(p.read_text()) for p in project.renders_dir.glob("*/candidate.json")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--no-cluster", action="store_true", help="skip the Ray part")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="drama-scale-") as tmp:
        scratch = Path(tmp)
        voiced = voiced_demo(scratch)
        one, one_cpu, drawn = render(voiced, scratch, "one", args.draws, workers=1)
        many, many_cpu, _ = render(voiced, scratch, "many", args.draws, workers=args.workers)
        jobs = len(drawn)

        table = Table(title=f"demo ep01, previz, {jobs} draws at the draft size")
        for column in ("run", "wall s", "per draw s", "cores busy", "vs 1 worker"):
            table.add_column(column, justify="right")
        table.add_row("1 worker", f"{one:.1f}", f"{one / jobs:.2f}", f"{one_cpu / one:.2f}", "1.00x")
        table.add_row(f"{args.workers} workers", f"{many:.1f}", f"{many / jobs:.2f}", f"{many_cpu / many:.2f}",
                      f"{one / many:.2f}x")

        if not args.no_cluster:
            from ray_nodes import LocalCluster

            cluster = LocalCluster(scratch / "ray")
            try:
                cluster.add(cpus=1)
                cluster.add(cpus=1)
                local, local_cpu, _ = render(voiced, scratch, "local2", args.draws, workers=2)
                remote, _, ran = render(voiced, scratch, "cluster", args.draws, cluster=cluster.address)
            finally:
                cluster.stop()
            nodes = len({d["ran_on"]["node"] for d in ran})
            table.add_row("2 local workers (again)", f"{local:.1f}", f"{local / jobs:.2f}", f"{local_cpu / local:.2f}",
                          f"{one / local:.2f}x")
            table.add_row(f"Ray, {nodes} nodes x 1 CPU", f"{remote:.1f}", f"{remote / jobs:.2f}", "-", f"{one / remote:.2f}x")
            console.print(table)
            console.print(f"Ray overhead per job (scheduling + transfer, 2 slots each way): "
                          f"{2 * (remote - local) / jobs * 1000:+.0f} ms against a draw of {2 * local / jobs:.2f} s")
        else:
            console.print(table)

        cores = os.cpu_count() or 1
        console.print(f"one worker keeps {one_cpu / one:.2f} cores busy (the previz draws while x264 encodes in its own "
                      f"process): on {cores} cores no pool can beat {cores * one / one_cpu:.2f}x")
        render_s = [d["timings"]["render_s"] for d in drawn]
        score_s = [d["timings"]["score_s"] for d in drawn]
        console.print(f"per draw (1 worker): render {statistics.mean(render_s):.3f} s, scoring {statistics.mean(score_s):.3f} s"
                      f" (median {statistics.median(score_s):.3f} s); scoring / render = "
                      f"{sum(score_s) / sum(render_s):.1%}")


if __name__ == "__main__":
    main()
