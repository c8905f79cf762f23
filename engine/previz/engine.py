"""The previz engine: a RenderRequest drawn as a layered 2.5D scene with real camera moves, encoded
to H.264 while it renders. Fast enough to draw candidates on a CPU; the same seed gives the same bytes."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from engine.api import Clip, Engine, RenderRequest
from engine.previz.encode import BackgroundEncoder
from engine.previz.layers import Compositor, Layer, View
from engine.previz.shot import build_scene, plan_shot

DRAFT_PIXELS = 540 * 960
SIDE_SCALE = 0.25  # depth and masks are drawn at a quarter of the size


class PrevizEngine(Engine):
    """Options (constructor, or per request in `RenderRequest.options`): `side_channels` (write depth and
    per-character masks; `side_scale` of the size, default 0.25), `preset` and `crf` (x264; drafts
    default to ultrafast)."""

    name = "previz"
    version = "5"
    features = ("text", "references", "camera", "seed")

    def __init__(self, side_channels: bool = False, preset: str | None = None, crf: int | None = None):
        self.side_channels = side_channels
        self.preset = preset
        self.crf = crf

    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        width, height, n = request.width, request.height, request.num_frames
        if width % 2 or height % 2:
            raise ValueError(f"previz renders H.264 yuv420p, which needs even sizes; got {width}x{height}")
        plan = plan_shot(request)
        options = request.options
        draft = width * height <= DRAFT_PIXELS
        preset = str(options.get("preset", self.preset or ("ultrafast" if draft else "veryfast")))
        crf = int(options.get("crf", self.crf or (23 if draft else 20)))
        side = bool(options.get("side_channels", self.side_channels))
        video = out_dir / "video.mp4"
        # started before the scene is built, so ffmpeg's start-up overlaps that work
        encoder = BackgroundEncoder(video, width=width, height=height, fps=request.fps, preset=preset, crf=crf)
        try:
            scene = build_scene(plan)
            compositor = Compositor(scene.layers, plan.view, plan.poses)
            poster = None
            for i in range(n):
                frame = compositor.frame(i)
                encoder.send(np.asarray(frame))
                if i == n // 2:  # PNG compression releases the GIL: save while the rest renders
                    poster = threading.Thread(target=frame.save, args=(out_dir / "poster.png",), kwargs={"compress_level": 1})
                    poster.start()
        except BaseException:
            encoder.abort()
            raise
        written = encoder.close()
        assert poster is not None
        poster.join()
        if not (out_dir / "poster.png").is_file():
            raise RuntimeError(f"could not write the poster frame into {out_dir}")
        scale = float(options.get("side_scale", SIDE_SCALE))
        depth, masks = (_side_channels(scene.layers, plan.view, plan.poses, request, out_dir, scale) if side else (None, {}))
        return Clip(
            video=video, poster=out_dir / "poster.png", width=width, height=height, fps=request.fps, num_frames=written,
            depth=depth, masks=masks, camera_path=list(plan.poses),
            meta={"engine": f"{self.name}-{self.version}", **scene.meta(), "preset": preset, "crf": crf},
        )


def _side_channels(layers: list[Layer], view: View, poses, request: RenderRequest, out_dir: Path, scale: float):
    """Depth (near = bright) and one mask per person, at `scale` of the size, from the same layers."""
    small = view.scaled(scale)
    factor = small.width / view.width
    near = min(layer.z for layer in layers)
    far = layers[0].z

    def depth_byte(z):
        return np.clip(255 * (1 / np.asarray(z) - 1 / far) / (1 / near - 1 / far), 0, 255).astype(np.uint8)

    def reduced(layer: Layer, value) -> Layer:
        image = layer.images[0]
        alpha = layer.masks[0].convert("L") if layer.masks else image.getchannel("A") if image.mode == "RGBA" else None
        size = (max(1, round(image.size[0] * factor)), max(1, round(image.size[1] * factor)))
        if isinstance(value, np.ndarray) and value.ndim == 1:
            rows = np.interp(np.linspace(0, len(value) - 1, size[1]), np.arange(len(value)), value)
            tone = Image.fromarray(np.repeat(depth_byte(rows)[:, None], size[0], axis=1))
        else:
            tone = Image.new("L", size, int(value))
        if alpha is not None:
            tone = Image.merge("LA", (tone, alpha.resize(size, Image.BILINEAR)))
        return layer.reduced(factor, [tone])

    depth_layers = [reduced(layer, layer.depth if isinstance(layer.depth, np.ndarray) else depth_byte(layer.z)) for layer in layers]
    depth_path = out_dir / "depth.mp4"
    _encode_gray(Compositor(depth_layers, small, poses), small, request, depth_path)
    masks: dict[str, Path] = {}
    (out_dir / "masks").mkdir(exist_ok=True)
    for who in [layer.character for layer in layers if layer.character]:
        start = next(i for i, layer in enumerate(layers) if layer.character == who)
        stack = [reduced(layer, 255 if layer.character == who else 0) for layer in layers[start:]]
        path = out_dir / "masks" / f"{_safe(who)}.mp4"
        _encode_gray(Compositor([_black_base(), *stack], small, poses), small, request, path)
        masks[who] = path
    return depth_path, masks


def _black_base() -> Layer:
    """A black plate far and wide enough to fill any frame."""
    return Layer("black", 1e6, [Image.new("L", (8, 8), 0)], 8 / 1e9, (-5e8, 5e8), bbox=(0, 0, 8, 8))


def _encode_gray(compositor: Compositor, view: View, request: RenderRequest, path: Path) -> None:
    encoder = BackgroundEncoder(path, width=view.width, height=view.height, fps=request.fps, preset="ultrafast", crf=18, gray=True)
    try:
        for i in range(request.num_frames):
            encoder.send(np.asarray(compositor.frame(i)))
    except BaseException:
        encoder.abort()
        raise
    encoder.close()


def _safe(name: str) -> str:
    """A file name for a character (keeps CJK, drops path separators and control characters)."""
    return re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", "_", name).strip(". ") or "character"
