"""What the integrity checks cost on a rendered (and exported) project: loading every draw folder checked
(candidate.json parsed and validated, video.mp4 still the size recorded when it was probed and published) against
reading candidate.json alone as before; probing each video (container frame count against the packets present, as
for draws recorded without a size) the first time in a process and again (memoised); and checking an export's
manifest (size and sha256 of the four files) when asking whether it is up to date.

    drama render projects/demo-copy && drama export projects/demo-copy   # or drama make
    python bench/integrity_checks.py projects/demo-copy
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drama.edit.export import _is_published, export_paths, read_stamp  # noqa: E402
from drama.project import Project  # noqa: E402
from drama.render import damage  # noqa: E402
from drama.render.executor import load_candidate  # noqa: E402
from drama.storyboard import episode_ids  # noqa: E402


def timed(function, repeat: int = 5) -> float:
    """Median wall time of `function()` in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    args = parser.parse_args()
    project = Project.load(args.project)
    keys = sorted(p.name for p in project.renders_dir.glob("[!.]*") if p.is_dir()) if project.renders_dir.is_dir() else []
    if not keys:
        sys.exit(f"{project.renders_dir} holds no draws: run `drama render {args.project}` first")

    def manifests_only() -> None:  # what load_candidate read before the checks
        for key in keys:
            json.loads((project.renders_dir / key / "candidate.json").read_text(encoding="utf-8"))

    def loaded() -> None:
        for key in keys:
            assert load_candidate(project, key) is not None, key

    def probed(fresh: bool):
        def run() -> None:
            if fresh:
                damage._videos_checked.clear()
            for key in keys:
                damage.check_video(project.renders_dir / key / "video.mp4")
        return run

    probed(fresh=True)()  # imports (PyAV) out of the timings
    rows = [("candidate.json only (before)", timed(manifests_only)),
            ("load_candidate, checked", timed(loaded)),
            ("probe, first time in a process", timed(probed(fresh=True))),
            ("probe again (memoised)", timed(probed(fresh=False)))]
    print(f"{len(keys)} draws in {project.renders_dir}")
    for name, ms in rows:
        print(f"  {name:<34} {ms:8.1f} ms   {ms / len(keys):6.2f} ms/draw")
    for episode in episode_ids(project):
        stamp, paths = read_stamp(project, episode), export_paths(project, episode)
        if stamp is None:
            continue
        size = sum(paths[kind].stat().st_size for kind in stamp.files if paths[kind].is_file()) / 1e6
        print(f"export {episode} ({size:.1f} MB): manifest check {timed(lambda paths=paths, stamp=stamp: _is_published(paths, stamp)):.1f} ms")


if __name__ == "__main__":
    main()
