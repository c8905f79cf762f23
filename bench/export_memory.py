"""Export memory: peak RSS of the Python process and of its ffmpeg children while exporting a long episode.

Run: python bench/export_memory.py [--minutes 10] [--width 1080 --height 1920]
The inputs are built first in a separate process; the export then runs in a fresh child process, so its
getrusage figures (RUSAGE_SELF for Python, RUSAGE_CHILDREN for ffmpeg) count the export alone. Budget: 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic_episode import synthetic_timeline  # noqa: E402

GIB = 1024**3


def run_export(root: Path, seconds: float, width: int, height: int) -> None:
    """The measured part (in its own process): build the timeline from the prepared files and export it."""
    from drama.edit.export import export_episode

    project, timeline = synthetic_timeline(root, seconds, width=width, height=height)
    started = time.perf_counter()
    result = export_episode(project, timeline, force=True)
    print(json.dumps({
        "seconds": time.perf_counter() - started, "duration": result.duration, "frames": timeline.frames,
        "python_peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "ffmpeg_peak_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "loudness": result.loudness.integrated, "true_peak": result.loudness.true_peak,
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--width", type=int, default=1080)
    parser.add_argument("--height", type=int, default=1920)
    parser.add_argument("--export-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    seconds = args.minutes * 60
    if args.export_only:
        run_export(args.export_only, seconds, args.width, args.height)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        synthetic_timeline(root, seconds, width=args.width, height=args.height)  # writes the clips and voices
        output = subprocess.run([sys.executable, __file__, "--minutes", str(args.minutes), "--width", str(args.width),
                                 "--height", str(args.height), "--export-only", str(root)],
                                check=True, stdout=subprocess.PIPE, text=True).stdout
        figures = json.loads(output.strip().splitlines()[-1])
    print(f"episode: {figures['duration']:.0f}s, {figures['frames']} frames at {args.width}x{args.height}, "
          f"exported in {figures['seconds']:.0f}s; {figures['loudness']:.1f} LUFS, {figures['true_peak']:.1f} dBTP")
    python, ffmpeg = figures["python_peak_rss"], figures["ffmpeg_peak_rss"]
    print(f"peak RSS python: {python / 2**20:7.0f} MiB")
    print(f"peak RSS ffmpeg: {ffmpeg / 2**20:7.0f} MiB  (largest child)")
    print(f"sum:             {(python + ffmpeg) / 2**20:7.0f} MiB  (budget {2 * GIB / 2**20:.0f} MiB: "
          f"{'ok' if python + ffmpeg < 2 * GIB else 'OVER'})")


if __name__ == "__main__":
    main()
