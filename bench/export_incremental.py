"""Incremental export: a full export vs the export after one changed pick, timed in the same run.

1. The demo, through the real CLI (subprocesses, start-up and planning included): `drama make` on a copy with two
   draws per shot, then `drama export --force` with the segment cache emptied (the full export), then
   `drama pick` of the other draw of a shot in the middle and `drama export` (the incremental one).
2. A synthetic episode (bench/synthetic_episode.py, 1080×1920, 3 minutes by default) exported in-process: a full
   export (`incremental=False`), then one pick changed to another take and exported again.

Target: the incremental export takes ≤ 25 % of the full one. The machine is shared: read the ratio.

    python bench/export_incremental.py [--seconds 180] [--skip-demo] [--skip-synthetic]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic_episode import synthetic_timeline  # noqa: E402
from drama.edit.export import ExportResult, export_episode, read_stamp  # noqa: E402
from drama.edit.timeline import Take  # noqa: E402
from drama.project import Project  # noqa: E402
from drama.render import StateStore  # noqa: E402
from drama.storyboard import plan_episode  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "projects" / "demo"


def drama(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "drama", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def report(name: str, full: float, incremental: float, before: ExportResult, after: ExportResult) -> None:
    print(f"{name}: {after.duration:.1f}s episode, {after.width}x{after.height}, {after.segments} segments")
    print(f"  full export:         {full:7.1f}s  ({before.segments} segments encoded, {before.loudness.integrated:.2f} LUFS)")
    print(f"  after one pick:      {incremental:7.1f}s  ({len(after.encoded)} encoded: {', '.join(after.encoded)}; "
          f"{after.loudness.integrated:.2f} LUFS)")
    print(f"  ratio incremental / full: {incremental / full:.3f}  (target <= 0.25)")


def demo(tmp: Path) -> None:
    project_dir = tmp / "demo"
    shutil.copytree(DEMO, project_dir, ignore=shutil.ignore_patterns(".drama", "renders", "exports"))
    made = drama("make", str(project_dir), "--draws", "2")
    print(f"demo: drama make --draws 2 took {made:.1f}s")
    project = Project.load(project_dir)
    shutil.rmtree(project.cache_dir / "segments", ignore_errors=True)  # the full export encodes every segment
    full = drama("export", str(project_dir), "--force")
    before = read_stamp(project, "ep01").result
    shots = [shot.id for shot in plan_episode(project, "ep01").shots]
    with StateStore(project) as store:
        shot = next(s for s in shots[len(shots) // 2:] if len(store.candidates(s)) > 1)
        other = next(c for c in store.candidates(shot) if c.id != store.pick_for(shot).id)
    drama("pick", str(project_dir), shot, other.id)
    incremental = drama("export", str(project_dir))
    after = read_stamp(project, "ep01").result
    assert after.encoded and len(after.encoded) < after.segments, after.encoded
    report(f"demo (CLI, shot {shot} re-picked)", full, incremental, before, after)


def synthetic(tmp: Path, seconds: float) -> None:
    project, timeline = synthetic_timeline(tmp / "synthetic", seconds)
    before = export_episode(project, timeline, force=True, incremental=False)
    middle = next(i for i, s in enumerate(timeline.segments) if i >= len(timeline.segments) // 2 and s.take)
    segments = list(timeline.segments)
    shot = segments[middle]
    other = next(s.take for s in segments if s.take and s.take.video != shot.take.video)
    picked = Take(id=f"{shot.shot_id}-other", video=other.video)
    segments[middle] = shot.model_copy(update={"take": picked, "alternates": [*shot.alternates, picked]})
    after = export_episode(project, timeline.model_copy(update={"segments": segments}))
    report(f"synthetic (in-process, shot {shot.shot_id} re-picked)", before.seconds, after.seconds, before, after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the synthetic episode")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_synthetic:
            synthetic(Path(tmp), args.seconds)
        if not args.skip_demo:
            demo(Path(tmp))


if __name__ == "__main__":
    main()
