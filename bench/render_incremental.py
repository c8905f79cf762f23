"""How much of `drama render` reruns when nothing changed, and when one line of dialogue changed.

Copies the demo project to a temp folder at a small draft size, then times three runs of the real CLI
(subprocesses, so start-up counts): a first full render, an unchanged rerun (target ≤ 2 % of the first)
and a rerun after editing one dialogue line (only the shots that line touches should render).

    python bench/render_incremental.py [--width 1080 --height 1920 --draws 2 --engine previz]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "projects" / "demo"
EDIT = ("顾承泽：（淡淡）嗯。", "顾承泽：（淡淡）嗯，我知道了。")


def drama(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "drama", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def candidates(project: Path) -> dict[str, str]:
    """candidate folder → shot id."""
    renders = project / "renders"
    return {p.name: json.loads((p / "candidate.json").read_text())["shot_id"] for p in renders.iterdir()}


def check_in_process(root: Path, args: argparse.Namespace) -> float:
    """The unchanged rerun's own work (plan, voices from cache, cache keys, database), imports already loaded."""
    sys.path.insert(0, str(ROOT))
    from drama.pipeline import prepare_episode
    from drama.project import Project
    from drama.render import render_shots

    project = Project.load(root)
    prepare_episode(project, "ep01")  # warm imports
    started = time.perf_counter()
    report = render_shots(project, prepare_episode(project, "ep01").storyboard, draws=args.draws, engine=args.engine)
    assert report.count("rendered") == 0
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1080, help="export width; drafts render at half")
    parser.add_argument("--height", type=int, default=1920)
    parser.add_argument("--draws", type=int, default=2)
    parser.add_argument("--engine", default="previz")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="drama-bench-") as tmp:
        project = Path(tmp) / "demo"
        shutil.copytree(DEMO, project, ignore=shutil.ignore_patterns(".drama", "renders", "exports"))
        toml = (project / "drama.toml").read_text(encoding="utf-8")
        toml = toml.replace("width = 1080", f"width = {args.width}").replace("height = 1920", f"height = {args.height}")
        (project / "drama.toml").write_text(toml, encoding="utf-8")
        common = [str(project), "--draws", str(args.draws), "--engine", args.engine]

        first = drama("render", *common)
        rendered = candidates(project)
        unchanged = drama("render", *common)
        assert candidates(project) == rendered, "an unchanged rerun rendered something"
        startup = min(drama("--version") for _ in range(3))
        in_process = check_in_process(project, args)

        script = project / "episodes" / "ep01.txt"
        text = script.read_text(encoding="utf-8")
        assert EDIT[0] in text, "the demo changed: pick another line to edit in bench/render_incremental.py"
        script.write_text(text.replace(*EDIT), encoding="utf-8")
        edited = drama("render", *common)
        after = candidates(project)
        new = {key: shot for key, shot in after.items() if key not in rendered}
        shots = sorted(set(new.values()))
        renderable = len(set(rendered.values()))

    table = Table(title=f"drama render on the demo ({args.width}×{args.height}, drafts ×0.5, {args.draws} draws, "
                        f"{args.engine})")
    for column in ("run", "seconds", "vs first", "draws rendered"):
        table.add_column(column, justify="left" if column == "run" else "right")
    table.add_row("first render", f"{first:.2f}", "100 %", str(len(rendered)))
    table.add_row("unchanged rerun", f"{unchanged:.2f}", f"{unchanged / first:.1%}", "0")
    table.add_row("  of which python start-up", f"{startup:.2f}", f"{startup / first:.1%}", "")
    table.add_row("  its own work (in-process)", f"{in_process:.2f}", f"{in_process / first:.1%}", "")
    table.add_row("after editing one line", f"{edited:.2f}", f"{edited / first:.1%}", str(len(new)))
    console.print(table)
    console.print(f"edited line {EDIT[0]!r} → {EDIT[1]!r}: {len(shots)} of {renderable} shots re-rendered "
                  f"({', '.join(shots)})")
    verdict = "meets" if unchanged <= 0.02 * first else "MISSES"
    console.print(f"unchanged rerun {unchanged / first:.1%} of the first run: {verdict} the ≤ 2 % target")


if __name__ == "__main__":
    main()
