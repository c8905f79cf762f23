"""One draw, wherever it runs: the engine renders into a folder, the files get their standard names, the video is
checked and scored. Nothing here knows the project or the state store, so the same function runs in this process,
in a worker process of the pool (drama.render.pool) or on a node of a Ray cluster (drama.render.cluster); the
caller publishes the folder (drama.render.executor)."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from drama.render.damage import check_video
from drama.render.parts import Score
from engine.api import Clip, Engine, RenderRequest, Still


class Drawn(BaseModel):
    """What a draw left in its folder, as candidate.json records it (paths relative to the folder)."""

    clip: dict
    score: Score
    timings: dict[str, float]
    ran_on: dict[str, str | list[str]] | None = None  # the cluster node and GPUs, for draws made on a cluster


def _inside(path: Path | None, folder: Path) -> str | None:
    if path is None:
        return None
    path = path if path.is_absolute() else folder / path
    if not path.is_file() or folder.resolve() not in path.resolve().parents:
        raise RuntimeError(f"engine reported {path} but it is not a file inside its output folder")
    return str(path.resolve().relative_to(folder.resolve()))


def _write_poster(video: Path, poster: Path) -> None:
    """The middle frame as a PNG, for engines that write no poster of their own."""
    import numpy as np
    from PIL import Image

    from engine.video import read_frames

    frames = list(read_frames(video))
    Image.fromarray(np.asarray(frames[len(frames) // 2])).save(poster)


def draw(engine: Engine, request: RenderRequest, folder: Path, *,
         make: Callable[[Path], Clip | Still] | None = None) -> Drawn:
    """Render (or, with `make`, fetch: a remote engine's result) one draw into the empty `folder`, as video.mp4 and
    poster.png beside the engine's side channels (an image engine's: still.png, and its copy as poster.png), check
    it and score it."""
    started = time.perf_counter()
    result = make(folder) if make is not None else _render(engine, request, folder)
    rendered = time.perf_counter()
    if isinstance(result, Still):
        return _still(request, result, folder, rendered - started)
    from drama.render.scoring import score_clip  # numpy work: imported only when something is drawn

    clip: Clip = result
    video = _inside(clip.video, folder)
    if video is None:
        raise RuntimeError("engine returned no video")
    poster = _inside(clip.poster, folder)
    if poster is None:
        poster = "poster.png"
        _write_poster(folder / video, folder / poster)
    for standard, actual in (("video.mp4", video), ("poster.png", poster)):
        if actual != standard:
            os.replace(folder / actual, folder / standard)
    clip = clip.model_copy(update={"video": folder / "video.mp4", "poster": folder / "poster.png"})
    check_video(clip.video)  # an engine's broken video fails this draw instead of being published
    camera = None
    if clip.camera_path:  # the path the engine drew with: an engine that follows a camera control reads it
        camera = "camera.json"
        (folder / camera).write_text(json.dumps([pose.model_dump(mode="json") for pose in clip.camera_path]) + "\n", encoding="utf-8")
    score = score_clip(request, clip)
    scored = time.perf_counter()
    return Drawn(
        clip={"video": "video.mp4", "poster": "poster.png", "depth": _inside(clip.depth, folder),
              "masks": {name: _inside(path, folder) for name, path in clip.masks.items()}, "camera": camera,
              "width": clip.width, "height": clip.height, "fps": clip.fps, "num_frames": clip.num_frames,
              "meta": clip.meta, "video_bytes": clip.video.stat().st_size},
        score=score,
        timings={"render_s": round(rendered - started, 3), "score_s": round(scored - rendered, 3)},
    )


def _render(engine: Engine, request: RenderRequest, folder: Path) -> Clip | Still:
    """The engine's draw, in parts when the shot is longer than its longest draw and it can start from a frame."""
    from drama.render.extend import draw_extended, longest_draw

    longest = longest_draw(engine, request) if engine.kind == "video" and "first_frame" in engine.features else None
    if longest is not None and request.num_frames > longest:
        return draw_extended(engine, request, folder, longest)
    return engine.render(request, folder)


def _still(request: RenderRequest, still: Still, folder: Path, render_s: float) -> Drawn:
    """An image engine's draw: its picture decoded whole and saved as still.png (RGB), poster.png the same file's
    copy (whatever shows posters shows stills), scored as a keyframe."""
    from PIL import Image, UnidentifiedImageError

    from drama.render.still_scoring import score_still

    started = time.perf_counter()
    source = folder / str(_inside(still.image, folder))
    try:
        with Image.open(source) as image:
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise RuntimeError(f"engine returned a still that is not a readable image: {error}") from None
    target = folder / "still.png"
    picture.save(target, compress_level=1)
    if source != target:
        source.unlink()
    shutil.copyfile(target, folder / "poster.png")
    score = score_still(request, picture)
    return Drawn(
        clip={"still": "still.png", "poster": "poster.png", "width": picture.width, "height": picture.height,
              "meta": still.meta, "still_bytes": target.stat().st_size},
        score=score,
        timings={"render_s": round(render_s, 3), "score_s": round(time.perf_counter() - started, 3)},
    )
