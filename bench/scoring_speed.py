"""What scoring a previz draw costs against drawing it, before and after cheap scoring, and how far apart the
scores are — in one run.

    python bench/scoring_speed.py [--renders DIR] [--draws 3] [--limit N] [--strides 0,4,8,16] [--before REV]

For each draw of the demo (drawn here with the previz engine at the project's draft size, 540x960; or, with
--renders, the draws already in a project's renders/ folder, their render time read from candidate.json):
  render   engine.render: drawing and encoding (wall seconds; CPU seconds of this process and its ffmpeg)
  old      the scorer as it was before cheap scoring, loaded from git (REV, by default the parent of the commit
           that added `frames_to_score`; the working tree's HEAD while uncommitted): every frame read through an
           ffmpeg pipe as rgb24 and block-averaged by numpy, the analysis on all of them
  new      score_clip as it is: the frames `frames_to_score` names, decoded in process, downscaled exactly
then the ratios of both to the render time, and the largest difference between the old and new value of every
score part (and the total) and of the camera estimate behind them (x, y, zoom, rotation, jitter) over all draws.
With --strides, the same differences and cost for other settings of scoring.STRIDE (the constant's choice).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import types
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drama.render import scoring  # noqa: E402
from drama.render.frames import load_video  # noqa: E402
from drama.render.motion import estimate_motion  # noqa: E402
from engine.api import Clip, RenderRequest  # noqa: E402

DEMO = ROOT / "projects" / "demo"
PARTS = ("flicker", "sharpness", "exposure", "motion", "camera", "likeness", "duration", "total")
ESTIMATES = ("x", "y", "zoom", "rotation", "jitter")


def cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (the ffmpeg encoder and reader)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work, *args, **kwargs):
    wall, used = time.perf_counter(), cpu()
    result = work(*args, **kwargs)
    return result, time.perf_counter() - wall, cpu() - used


def old_scorer(rev: str | None) -> tuple[types.ModuleType, str]:
    """drama.render.{frames,motion,scoring} at `rev`, loaded side by side with today's as a package of its own."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout

    if rev is None:
        added = git("log", "-S", "def frames_to_score", "--reverse", "--format=%H", "--", "drama/render/scoring.py").split()
        rev = f"{added[0]}^" if added else "HEAD"
    package = types.ModuleType("scorer_before")
    package.__path__ = []
    sys.modules["scorer_before"] = package
    for name in ("frames", "motion", "scoring"):
        source = git("show", f"{rev}:drama/render/{name}.py")
        for other in ("frames", "motion"):
            source = source.replace(f"from drama.render.{other} import", f"from scorer_before.{other} import")
        spec = importlib.util.spec_from_loader(f"scorer_before.{name}", loader=None)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        exec(compile(source, f"{rev}:drama/render/{name}.py", "exec"), module.__dict__)
        setattr(package, name, module)
    return package.scoring, git("rev-parse", "--short", rev).strip()


def demo_draws(folder: Path, draws: int, limit: int | None):
    """(label, request, clip, render wall s, render CPU s) for every draw of every renderable shot of the demo."""
    from drama.project.project import Project
    from drama.render.jobs import draw_seed
    from drama.render.request import build_request, renderable
    from drama.storyboard import plan_episode
    from engine.previz import PrevizEngine

    project = Project.load(DEMO)
    shots = [shot for shot in plan_episode(project, "ep01").shots if renderable(shot)]
    engine, count = PrevizEngine(), 0
    for shot in shots:
        for draw in range(draws):
            if limit is not None and count >= limit:
                return
            request = build_request(project, shot, draw_seed(shot.id, draw))
            clip, wall, used = timed(engine.render, request, folder / f"{shot.id}-{draw}")
            count += 1
            yield f"{shot.id}-{draw}", request, clip, wall, used


def stored_draws(renders: Path, limit: int | None):
    """The same from a project's renders/ folder: render time as candidate.json recorded it (no CPU figure)."""
    for index, path in enumerate(sorted(renders.glob("*/candidate.json"))):
        if limit is not None and index >= limit:
            return
        data = json.loads(path.read_text(encoding="utf-8"))
        clip = Clip.model_validate({**data["clip"], "video": path.parent / data["clip"]["video"],
                                    "masks": {k: path.parent / v for k, v in data["clip"]["masks"].items()}})
        yield data["id"], RenderRequest.model_validate(data["request"]), clip, data["timings"]["render_s"], None


def values(score) -> dict[str, float | None]:
    return {**{part.name: part.value for part in score.parts}, "total": score.total}


def gap(a: dict, b: dict, names) -> dict[str, float]:
    """|a - b| for each name both measured (a part one side measures and the other does not counts as 1)."""
    out = {}
    for name in names:
        x, y = a.get(name), b.get(name)
        if x is None and y is None:
            continue
        out[name] = 1.0 if x is None or y is None else abs(x - y)
    return out


def worst(rows: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for row in rows:
        for name, value in row.items():
            out[name] = max(out.get(name, 0.0), value)
    return out


def fmt(gaps: dict[str, float], names) -> str:
    return "  ".join(f"{name} {gaps[name]:.4f}" for name in names if name in gaps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=Path, help="score the draws in this renders/ folder instead of drawing the demo")
    parser.add_argument("--draws", type=int, default=3, help="draws per shot when drawing the demo (its drama.toml: 3)")
    parser.add_argument("--limit", type=int, help="at most this many draws")
    parser.add_argument("--strides", default="", help="also measure these settings of scoring.STRIDE, e.g. 0,4,8,16")
    parser.add_argument("--before", help="git revision of the old scorer (default: before frames_to_score was added)")
    parser.add_argument("--quiet", action="store_true", help="no line per draw")
    args = parser.parse_args()

    old, rev = old_scorer(args.before)
    strides = [int(s) for s in args.strides.split(",") if s.strip()]
    folder = Path(tempfile.mkdtemp(prefix="scoring-speed-"))
    draws = stored_draws(args.renders, args.limit) if args.renders else demo_draws(folder, args.draws, args.limit)
    print(f"old scorer: git {rev}; new: STRIDE={scoring.STRIDE}, MAX_SIDE={scoring.MAX_SIDE}")
    if not args.quiet:
        print(f"{'draw':14} {'move':9} {'frames':>6} {'read':>5} {'render s':>8} {'old s':>6} {'new s':>6} "
              f"{'old/rend':>8} {'new/rend':>8}  camera old→new")
    totals = {"render": 0.0, "render_cpu": 0.0, "old": 0.0, "old_cpu": 0.0, "new": 0.0, "new_cpu": 0.0}
    part_gaps, estimate_gaps, stored_gaps, frames, read, same_path = [], [], [], 0, 0, 0
    sweep: dict[int, dict] = {stride: {"gaps": [], "wall": 0.0, "cpu": 0.0, "read": 0} for stride in strides}
    try:
        for label, request, clip, render_wall, render_cpu in draws:
            before, old_wall, old_cpu = timed(old.score_clip, request, clip)
            after, new_wall, new_cpu = timed(scoring.score_clip, request, clip)
            totals["render"] += render_wall
            totals["render_cpu"] += render_cpu or 0.0
            totals["old"] += old_wall
            totals["old_cpu"] += old_cpu
            totals["new"] += new_wall
            totals["new_cpu"] += new_cpu
            part_gaps.append(gap(values(before), values(after), PARTS))
            # The camera estimate behind the parts, old reading against the new one (the masks, when the engine
            # wrote any, left out: the estimate on the picture alone).
            sample_old = old.load_video(clip.video, max_side=scoring.MAX_SIDE)
            stride = scoring.stride_for(request)
            sample_new = load_video(clip.video, max_side=scoring.MAX_SIDE,
                                    select=partial(scoring.frames_to_score, stride=stride))
            e_old = old.estimate_motion(sample_old.gray)
            e_new = estimate_motion(sample_new.gray, index=sample_new.index, total=sample_new.total)
            estimate_gaps.append(gap(e_old.model_dump(), e_new.model_dump(), ESTIMATES))
            same_path += all(getattr(e_old, k) == getattr(e_new, k) for k in ("x", "y", "zoom", "rotation", "parallax"))
            frames += sample_new.num_frames
            read += len(sample_new.gray)
            if args.renders:
                stored = json.loads((clip.video.parent / "candidate.json").read_text(encoding="utf-8"))["score"]
                stored_gaps.append(gap({**{p["name"]: p["value"] for p in stored["parts"]}, "total": stored["total"]},
                                       values(before), PARTS))
            for stride, row in sweep.items():
                score, wall, used = timed(scoring.score_clip, request, clip, stride=stride)
                row["gaps"].append(gap(values(before), values(score), PARTS))
                row["wall"] += wall
                row["cpu"] += used
                row["read"] += len(scoring.frames_to_score(sample_new.num_frames, stride))
            if not args.quiet:
                camera = (values(before)["camera"], values(after)["camera"])
                print(f"{label:14} {request.camera.kind:9} {sample_new.num_frames:6d} {len(sample_new.gray):5d} "
                      f"{render_wall:8.3f} {old_wall:6.3f} {new_wall:6.3f} {old_wall / render_wall:8.2f} "
                      f"{new_wall / render_wall:8.3f}  {camera[0]:.4f}→{camera[1]:.4f}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    count = len(part_gaps)
    print(f"\n{count} draws, {frames} frames, {read} read by the new scorer ({read / max(frames, 1):.0%})")
    print(f"render  {totals['render']:7.2f} s wall ({totals['render'] / count:.3f} s a draw)"
          + (f", {totals['render_cpu']:.2f} s CPU" if totals["render_cpu"] else ""))
    for name in ("old", "new"):
        cpu_ratio = f", CPU {totals[name + '_cpu'] / totals['render_cpu']:.3f}" if totals["render_cpu"] else ""
        print(f"{name} scoring {totals[name]:7.2f} s wall ({totals[name] / count:.3f} s a draw), "
              f"{totals[name + '_cpu']:.2f} s CPU; scoring / render: wall {totals[name] / totals['render']:.3f}{cpu_ratio}")
    print(f"speed-up of scoring: {totals['old'] / totals['new']:.1f}x wall, {totals['old_cpu'] / totals['new_cpu']:.1f}x CPU")
    print("max |new - old|, score parts:    " + fmt(worst(part_gaps), PARTS))
    print("max |new - old|, camera estimate: " + fmt(worst(estimate_gaps), ESTIMATES)
          + f"  (x, y, zoom, rotation, parallax identical to the bit on {same_path} of {count} draws; the jitter,"
            " which only a handheld request scores and which reads every frame, from the frames read)")
    if stored_gaps:
        print("max |old in this run - stored|:   " + fmt(worst(stored_gaps), PARTS))
    for stride, row in sweep.items():
        label = "every frame" if stride and stride <= 3 else "path + samples only" if not stride else f"+ a triplet every {stride}"
        print(f"STRIDE={stride:<3} ({label:22}) reads {row['read'] / max(frames, 1):4.0%}  scoring / render wall "
              f"{row['wall'] / totals['render']:.3f}"
              + (f" CPU {row['cpu'] / totals['render_cpu']:.3f}" if totals["render_cpu"] else "")
              + "  max |diff|: " + fmt(worst(row["gaps"]), PARTS))


if __name__ == "__main__":
    main()
