"""How close the remote task queue comes to the ideal wall time, and what it costs the driver per job.

Starts the fake Kling (tests/fakes/kling.py) in a separate process with task latencies drawn uniformly from
[--min, --max] seconds, then renders --jobs draws (shots × draws of a generated screenplay) through
`render_shots` with `[engines.kling] concurrency = --concurrency`. The ideal is jobs × mean latency /
concurrency; the driver's CPU per job is this process's CPU time (the fake's is not counted) / jobs; scoring's
wall time per job comes from each candidate.json. `--no-score` replaces scoring with a constant to time the
queue alone.

    python bench/remote_queue.py [--jobs 200 --concurrency 8 --min 1 --max 3 --poll 0.1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from drama.project import Project  # noqa: E402
from drama.render import render_shots  # noqa: E402
from drama.render.state import StateStore  # noqa: E402
from drama.storyboard import plan_episode  # noqa: E402

SERVE = """
import sys, time
sys.path.insert(0, {tests!r})
from fakes.kling import KlingFake
fake = KlingFake(latency=({low}, {high}), seed=0).start()
print(fake.url, fake.access_key, fake.secret_key, flush=True)
while True:
    time.sleep(3600)
"""


def screenplay(shots: int) -> str:
    """One scene with `shots` distinct action lines: one shot each."""
    lines = [f"Ann looks at photograph number {i + 1}." for i in range(shots)]
    return "INT. ARCHIVE - NIGHT\n\n" + "\n\n".join(lines) + "\n"


def make_project(root: Path, shots: int, concurrency: int, poll: float) -> Project:
    (root / "episodes").mkdir(parents=True)
    (root / "episodes" / "ep01.fountain").write_text(screenplay(shots), encoding="utf-8")
    (root / "drama.toml").write_text(
        'title = "bench"\nlanguage = "en"\n[video]\nwidth = 144\nheight = 256\nfps = 12\n'
        f'[render]\nengine = "kling"\n[voice]\nbackend = "offline"\n'
        f'[engines.kling]\nconcurrency = {concurrency}\npoll_interval = {poll}\n', encoding="utf-8")
    return Project.load(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--draws", type=int, default=10, help="draws per shot (shots = jobs / draws)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--min", type=float, default=1.0)
    parser.add_argument("--max", type=float, default=3.0)
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between polls of one task")
    parser.add_argument("--no-score", action="store_true",
                        help="score every draw with one constant part: the queue alone, without scoring's CPU")
    args = parser.parse_args()
    if args.no_score:
        import drama.render.scoring as scoring

        scoring.score_clip = lambda request, clip: scoring.Score.combine([scoring._part("duration", 1.0, "bench")])
    import os

    server = subprocess.Popen([sys.executable, "-c", SERVE.format(tests=str(ROOT / "tests"), low=args.min,
                                                                  high=args.max)], stdout=subprocess.PIPE, text=True)
    try:
        url, access, secret = server.stdout.readline().split()
        os.environ.update(KLING_API_BASE=url, KLING_ACCESS_KEY=access, KLING_SECRET_KEY=secret)
        with tempfile.TemporaryDirectory() as folder:
            project = make_project(Path(folder) / "p", args.jobs // args.draws, args.concurrency, args.poll)
            storyboard = plan_episode(project, "ep01")
            wall, cpu = time.perf_counter(), time.process_time()
            report = render_shots(project, storyboard, draws=args.draws)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            with StateStore(project) as store:
                tasks = len(store.ledger())
                scoring = sum(json.loads((c.path / "candidate.json").read_text())["timings"]["score_s"]
                              for c in store.candidates())
    finally:
        server.kill()
    jobs = len(report.results)
    ideal = jobs * (args.min + args.max) / 2 / args.concurrency
    table = Table(title=f"remote queue: {jobs} jobs, latency {args.min:g}–{args.max:g} s, concurrency "
                        f"{args.concurrency}, poll every {args.poll:g} s" + (", scoring off" if args.no_score else ""))
    for column in ("rendered", "failed", "tasks submitted", "wall s", "ideal s", "wall / ideal", "driver CPU per job",
                   "scoring (wall) per job"):
        table.add_column(column, justify="right")
    table.add_row(str(report.count("rendered")), str(len(report.failed)), str(tasks), f"{wall:.1f}", f"{ideal:.1f}",
                  f"{wall / ideal:.3f}", f"{cpu / jobs * 1000:.1f} ms", f"{scoring / jobs * 1000:.1f} ms")
    Console().print(table)


if __name__ == "__main__":
    main()
