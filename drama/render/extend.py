"""Long shots: a shot longer than the engine's longest draw is drawn in parts, each part starting from the last
frame of the one before (image-to-video), and the parts are stitched into one clip.

Part k > 0 starts on the very frame part k-1 ended on, so that frame is dropped from part k: the stitched clip
moves on at the boundary as it moves anywhere else, with no repeated (frozen) frame and no jump. Engines that
extend a clip themselves (the DiT samples long videos chunk by chunk; Kling's video-extend is the `kling-extend`
engine) declare no limit and are not split here; remote engines draw one task per draw and are not split either.
"""

from __future__ import annotations

import collections
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from engine.api import Clip, Engine, RenderRequest
from engine.video import read_frames, write_mp4


def longest_draw(engine: Engine, request: RenderRequest) -> int | None:
    """The most frames one draw of `engine` makes for `request`: the `max_frames` option (drama.toml's
    `[engines.NAME] max_frames`), else the engine's own `max_frames`, else None (no limit)."""
    value = request.options.get("max_frames", engine.max_frames)
    return None if value is None else max(2, int(value))


def part_lengths(num_frames: int, longest: int) -> list[int]:
    """Frames each part draws: every part at most `longest`, each after the first repeating the frame before it,
    so the lengths minus the repeated frames add up to `num_frames`; the parts are as even as they can be."""
    if num_frames <= longest:
        return [num_frames]
    # p parts make 1 + (their lengths - 1 each) frames: the first part's first frame, then what each part adds
    count = -(-(num_frames - 1) // (longest - 1))
    adds = [(num_frames - 1) // count + (1 if i < (num_frames - 1) % count else 0) for i in range(count)]
    return [add + 1 for add in adds]


def draw_extended(engine: Engine, request: RenderRequest, folder: Path, longest: int) -> Clip:
    """Draw `request` in parts of at most `longest` frames into `folder` (video.mp4, poster.png), each part from
    the previous part's last frame, seeds `seed`, `seed + 1` …; the parts' own folders are removed."""
    lengths = part_lengths(request.num_frames, longest)
    parts: list[tuple[Path, int]] = []
    first = request.first_frame
    for index, length in enumerate(lengths):
        part = folder / f".part{index}"
        part.mkdir()
        clip = engine.render(request.model_copy(update={"num_frames": length, "first_frame": first,
                                                        "seed": request.seed + index}), part)
        video = clip.video if clip.video.is_absolute() else part / clip.video
        last = collections.deque(read_frames(video), maxlen=1)
        if not last:
            raise RuntimeError(f"part {index + 1} of the long shot has no frames")
        first = part / "last.png"
        Image.fromarray(np.asarray(last[0])).save(first)
        parts.append((video, clip.num_frames))

    def frames() -> Iterator[np.ndarray]:
        for index, (video, _) in enumerate(parts):
            for number, frame in enumerate(read_frames(video)):
                if index == 0 or number > 0:  # a later part's first frame is the earlier part's last
                    yield frame

    target = folder / "video.mp4"
    count = write_mp4(frames(), target, width=request.width, height=request.height, fps=request.fps)
    for index in range(len(lengths)):
        shutil.rmtree(folder / f".part{index}")
    return Clip(video=target, width=request.width, height=request.height, fps=request.fps, num_frames=count,
                meta={"parts": len(lengths), "part_frames": ",".join(map(str, lengths)), "longest_draw": longest})
