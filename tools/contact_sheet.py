"""A contact sheet of a finished episode: one frame every N seconds, in a grid, each with its time.

    python tools/contact_sheet.py projects/demo/exports/ep01.mp4 /tmp/demo.png
    python tools/contact_sheet.py --script tests/scripts/unseen_zh.txt --cast tests/scripts/unseen_zh.toml /tmp/zh.png

With --script, a project is made in a temporary folder (or --project DIR) from that screenplay and cast, the
episode made with `drama make`, and its export is sheeted: a look at what drama does with a script.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import av
from PIL import Image, ImageDraw

from drama.fonts import pil_font

THUMB_WIDTH = 216  # px: 9:16 frames at a fifth of 1080


def frames_every(video: Path, seconds: float) -> list[tuple[float, Image.Image]]:
    """(time, frame) at 0, seconds, 2·seconds … through the video."""
    picked: list[tuple[float, Image.Image]] = []
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        next_time = 0.0
        for frame in container.decode(stream):
            if frame.time is not None and frame.time + 1e-6 >= next_time:
                picked.append((frame.time, frame.to_image()))
                next_time += seconds
    return picked


def sheet(frames: list[tuple[float, Image.Image]], columns: int = 6) -> Image.Image:
    first = frames[0][1]
    width = THUMB_WIDTH
    height = round(first.height * width / first.width)
    rows = -(-len(frames) // columns)
    label = 22
    canvas = Image.new("RGB", (columns * width, rows * (height + label)), (20, 20, 20))
    draw = ImageDraw.Draw(canvas)
    font = pil_font(16)
    for index, (time, frame) in enumerate(frames):
        x, y = (index % columns) * width, (index // columns) * (height + label)
        canvas.paste(frame.resize((width, height), Image.BILINEAR), (x, y))
        draw.text((x + 6, y + height + 2), f"{int(time) // 60}:{int(time) % 60:02d}", fill=(230, 230, 230), font=font)
    return canvas


def make_project(script: Path, cast: Path, root: Path) -> Path:
    """A project around one screenplay and its cast; returns the export `drama make` wrote."""
    language = "zh" if script.suffix == ".txt" else "en"
    (root / "episodes").mkdir(parents=True, exist_ok=True)
    (root / "music").mkdir(exist_ok=True)
    shutil.copy(script, root / "episodes" / f"ep01{script.suffix}")
    shutil.copy(cast, root / "cast.toml")
    (root / "drama.toml").write_text(f'title = "{script.stem}"\nlanguage = "{language}"\n\n[render]\ndraws = 2\n',
                                     encoding="utf-8")
    subprocess.run([sys.executable, "-m", "drama", "make", str(root)], check=True)
    return root / "exports" / "ep01.mp4"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", nargs="?", type=Path, help="an exported episode (or use --script)")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--script", type=Path, help="a screenplay to make into an episode first")
    parser.add_argument("--cast", type=Path, help="its cast.toml (with --script)")
    parser.add_argument("--project", type=Path, help="where to make it (default: a temporary folder)")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between frames (default 3)")
    args = parser.parse_args()
    if args.script:
        if args.cast is None:
            parser.error("--script needs --cast")
        with tempfile.TemporaryDirectory(prefix="drama-sheet-") as tmp:
            video = make_project(args.script, args.cast, args.project or Path(tmp) / "project")
            sheet(frames_every(video, args.every)).save(args.out)
    elif args.video:
        sheet(frames_every(args.video, args.every)).save(args.out)
    else:
        parser.error("give a video, or --script and --cast")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
