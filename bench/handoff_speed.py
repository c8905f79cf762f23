"""Editor hand-off: how long each `drama export --format` takes and how much it writes, on one episode.

A synthetic 1080×1920 episode (bench/synthetic_episode.py, 3 minutes by default: dissolves, title cards, lines,
music, subtitles) is handed off in every format, in-process, one after the other (the first one also copies the
voice lines into the project and draws the card stills). With PROJECT, a real project's current cut is used
instead (it must be rendered).

    python bench/handoff_speed.py [--seconds 180] [--project PROJECT [--episode ep01]]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic_episode import synthetic_timeline  # noqa: E402
from drama.edit.handoff import FORMATS, current_timeline, export_handoff  # noqa: E402
from drama.pipeline import prepare_episode  # noqa: E402
from drama.project import Project  # noqa: E402


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--project", type=Path)
    parser.add_argument("--episode", default="ep01")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.project:
            project = Project.load(args.project)
            timeline = current_timeline(project, prepare_episode(project, args.episode, speak=True))
        else:
            project, timeline = synthetic_timeline(Path(tmp) / "synthetic", args.seconds)
        takes = sum(len(segment.alternates) for segment in timeline.segments)
        print(f"{timeline.duration:.1f}s episode, {timeline.width}x{timeline.height} at {timeline.fps:g} fps, "
              f"{len(timeline.segments)} shots, {takes} takes, {len(timeline.dialogue)} lines, {len(timeline.cues)} cues")
        for fmt in FORMATS:
            for alternates in ((False, True) if fmt in ("otioz", "otiod") else (False,)):
                started = time.perf_counter()
                result = export_handoff(project, timeline, fmt, to=Path(tmp) / "out" / fmt, alternates=alternates)
                seconds = time.perf_counter() - started
                label = f"{fmt}{' --alternates' if alternates else ''}"
                print(f"  {label:22} {seconds:6.2f}s  {_size(result.path) / 1e6:8.1f} MB  {len(result.notes)} note(s)")


if __name__ == "__main__":
    main()
