"""How fast the previz engine draws a candidate, against the H.264 encoder alone on the same frames.

    python bench/previz_speed.py [--frames 150] [--repeat 3] [--full] [--side-channels] [--shots SUBSTRING]

For each shot: render+encode time (engine.render: layers, frames, x264, poster), and as the baseline,
the pure encode of the very same frames (decoded into memory first) with the same preset and crf,
measured in the same run so a busy machine slows both alike. Targets: at 540x960 a 150-frame
candidate in <= 1 s; at 1080x1920 render+encode no slower than encoding alone (ratio ~1).

On a shared machine wall times swing with the load, so the CPU seconds are printed too: the drawing
thread (preparation + every frame) against ffmpeg's own CPU for the same clip. Drawing costs less
than encoding when "draw/enc CPU" < 1: then the encoder, not the drawing, sets the pace.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from engine.api import CameraMove, CharacterRef, Placement, RenderRequest, SceneContext  # noqa: E402
from engine.previz import PrevizEngine  # noqa: E402
from engine.video import read_frames, write_mp4  # noqa: E402

DEMO = Path(__file__).resolve().parents[1] / "projects" / "demo" / "refs"


def _cast() -> tuple[CharacterRef, ...]:
    def ref(name: str, file: str, x: float, speaking: bool, color: str) -> CharacterRef:
        path = DEMO / file
        return CharacterRef(name=name, reference_images=(path,) if path.exists() else (), color=color,
                            placement=Placement(x=x, speaking=speaking))

    return (ref("沈清", "shenqing.png", 0.34, True, "#d8dee9"), ref("顾承泽", "guchengze.png", 0.68, False, "#2c3e66"))


SHOTS = {
    "MS static, room, night": dict(shot_size="MS", camera=CameraMove(kind="static"), scene=SceneContext(location="living room", time_of_day="night")),
    "CU dolly in, hall": dict(shot_size="CU", camera=CameraMove(kind="dolly_in"), scene=SceneContext(location="banquet hall", time_of_day="night")),
    "FS truck, bridge, rain": dict(shot_size="FS", camera=CameraMove(kind="truck"), scene=SceneContext(location="bridge in the rain", interior=False, time_of_day="night")),
    "WS pan, street, day": dict(shot_size="WS", camera=CameraMove(kind="pan"), scene=SceneContext(location="street", interior=False, time_of_day="day")),
    "MS static, bus, props": dict(shot_size="MS", camera=CameraMove(kind="static"),
                                  scene=SceneContext(location="大巴车上", time_of_day="day", props=("phone", "cup"))),
    "FS truck, court, ball": dict(shot_size="FS", camera=CameraMove(kind="truck"),
                                  scene=SceneContext(location="学校篮球场", interior=False, time_of_day="dusk", props=("ball", "hoop"))),
    "CU dolly in, insert": dict(shot_size="CU", camera=CameraMove(kind="dolly_in"), characters=(),
                                scene=SceneContext(location="bar", time_of_day="night", props=("beer",))),
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(engine: PrevizEngine, request: RenderRequest, repeat: int, work: Path) -> tuple[float, float, float, float, float]:
    """(cold render s, median warm render s, median pure-encode s, draw-thread CPU s, ffmpeg CPU s)."""
    times, draw_cpu, encode_cpu = [], [], []
    for i in range(repeat + 1):
        out = work / f"r{i}"
        shutil.rmtree(out, ignore_errors=True)
        start, thread, children = time.perf_counter(), time.thread_time(), _children_cpu()
        clip = engine.render(request, out)
        times.append(time.perf_counter() - start)
        draw_cpu.append(time.thread_time() - thread)
        encode_cpu.append(_children_cpu() - children)
    frames = list(read_frames(clip.video))
    meta = clip.meta
    encodes = []
    for i in range(repeat):
        start = time.perf_counter()
        write_mp4(iter(frames), work / f"e{i}.mp4", width=request.width, height=request.height, fps=request.fps,
                  preset=str(meta["preset"]), crf=int(meta["crf"]))
        encodes.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:]), statistics.median(encodes), statistics.median(draw_cpu[1:]), statistics.median(encode_cpu[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also 1080x1920")
    parser.add_argument("--side-channels", action="store_true", help="also write depth and masks")
    parser.add_argument("--shots", default="", help="only the shots whose label contains this")
    args = parser.parse_args()
    console = Console(width=150)
    engine = PrevizEngine(side_channels=args.side_channels)
    sizes = [(540, 960)] + ([(1080, 1920)] if args.full else [])
    table = Table(title=f"previz: {args.frames} frames at 30 fps (median of {args.repeat}; cold = first draw, caches empty)")
    for column in ("size", "shot", "cold s", "render+encode s", "encode only s", "ratio", "fps", "draw CPU s", "draw fps", "ffmpeg CPU s",
                   "draw/enc CPU"):
        table.add_column(column, justify="right" if column not in ("shot", "size") else "left")
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in sizes:
            for label, fields in ((k, v) for k, v in SHOTS.items() if args.shots in k):
                request = RenderRequest(prompt=label, width=width, height=height, num_frames=args.frames, seed=7,
                                        **{"characters": _cast(), **fields})
                with console.status(f"{width}x{height} {label}"):
                    cold, warm, encode, draw_cpu, encode_cpu = measure(engine, request, args.repeat, Path(tmp))
                table.add_row(f"{width}x{height}", label, f"{cold:.2f}", f"{warm:.2f}", f"{encode:.2f}", f"{warm / encode:.2f}",
                              f"{args.frames / warm:.0f}", f"{draw_cpu:.2f}", f"{args.frames / draw_cpu:.0f}", f"{encode_cpu:.2f}",
                              f"{draw_cpu / encode_cpu:.2f}")
    console.print(table)
    console.print("ratio = render+encode / encode only (same frames, preset and crf), wall clock; 1.0 means drawing costs nothing extra.")
    console.print("draw/enc CPU = CPU of the drawing thread / CPU of ffmpeg on the same render; < 1 means the encoder sets the pace.")
    console.print("draw fps = frames per CPU second of the drawing thread: the engine's own speed, steady on a busy machine.")


if __name__ == "__main__":
    main()
