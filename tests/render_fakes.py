"""A small real engine for render tests: a textured world seen through a camera that really moves, with each
character drawn as a coloured disc (and its mask), so scoring and motion estimation have something to measure.

Request options: `fail` (raise, to test failure handling), `slow` (seconds to sleep per frame, to be killed
mid-render), `frozen` (ignore the camera move: a static clip that must not win on flicker).
"""

from __future__ import annotations

import functools
import hashlib
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from engine.api import Clip, Engine, ImageEngine, RenderRequest, Still
from engine.registry import register_engine
from engine.remote import RemoteEngine
from engine.remote.image import RemoteImageEngine
from engine.remote.task import RemoteTask, TaskStatus
from engine.video import write_mp4

MOVES = ["static", "pan", "tilt", "dolly_in", "dolly_out", "truck", "follow", "crane", "zoom", "orbit", "handheld"]


@functools.lru_cache(maxsize=8)
def world(size: tuple[int, int] = (480, 720), seed: int = 0) -> Image.Image:
    """A blobby grey-green texture with plenty of detail at every scale."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, (110, 120, 100))
    draw = ImageDraw.Draw(image)
    for _ in range(260):
        x, y, r = rng.integers(0, size[0]), rng.integers(0, size[1]), rng.integers(4, 36)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(v) for v in rng.integers(30, 230, 3)))
    return image.filter(ImageFilter.GaussianBlur(1.0))


def camera_box(request: RenderRequest, t: float, world_size: tuple[int, int], rng: np.random.Generator):
    """The world rectangle the camera sees at time t in [0, 1] (centre x, centre y, scale)."""
    w, h = request.width, request.height
    cx, cy, scale = world_size[0] / 2, world_size[1] / 2, 1.0
    if request.options.get("frozen"):
        return cx, cy, scale
    kind, direction, amount = request.camera.kind, request.camera.direction, 0.3 * request.camera.strength
    if kind in ("pan", "truck", "follow"):
        cx += direction * amount * w * t
    elif kind == "orbit":
        cx -= direction * amount * w * t
    elif kind in ("tilt", "crane"):
        cy -= direction * amount * h * t
    elif kind == "dolly_in" or (kind == "zoom" and direction > 0):
        scale = 1 + amount * t
    elif kind == "dolly_out" or (kind == "zoom" and direction < 0):
        scale = 1 / (1 + amount * t)
    elif kind == "handheld":
        cx, cy = cx + rng.normal(0, 0.012 * w), cy + rng.normal(0, 0.012 * w)
    return cx, cy, scale


@register_engine
class SquaresEngine(Engine):
    name = "test-squares"
    version = "1"

    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        if request.options.get("fail"):
            raise RuntimeError("the fake engine was asked to fail")
        w, h = request.width, request.height
        rng = np.random.default_rng(request.seed)
        scene_seed = int(hashlib.sha256(request.prompt.encode()).hexdigest()[:6], 16)
        background = world(seed=scene_seed)
        frames, masks = [], {c.name: [] for c in request.characters}
        for i in range(request.num_frames):
            t = i / max(1, request.num_frames - 1)
            cx, cy, scale = camera_box(request, t, background.size, rng)
            bw, bh = w / scale, h / scale
            frame = background.transform((w, h), Image.EXTENT, (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2),
                                         Image.BILINEAR)
            draw = ImageDraw.Draw(frame)
            for character in request.characters:
                mask = Image.new("L", (w, h), 0)
                x = character.placement.x * w + rng.normal(0, 0.5)
                r = 0.12 * w * scale
                box = [x - r, 0.55 * h - r, x + r, 0.55 * h + r]
                draw.ellipse(box, fill=character.color)
                ImageDraw.Draw(mask).ellipse(box, fill=255)
                masks[character.name].append(np.asarray(mask))
            frames.append(np.asarray(frame))
            if request.options.get("slow"):
                time.sleep(float(request.options["slow"]))
        write_mp4(frames, out_dir / "video.mp4", width=w, height=h, fps=request.fps, crf=12)
        mask_paths = {}
        for index, (name, mask_frames) in enumerate(masks.items()):
            mask_paths[name] = out_dir / f"mask{index}.mp4"
            write_mp4(mask_frames, mask_paths[name], width=w, height=h, fps=request.fps, gray=True)
        Image.fromarray(frames[len(frames) // 2]).save(out_dir / "poster.png")
        return Clip(video=out_dir / "video.mp4", poster=out_dir / "poster.png", width=w, height=h, fps=request.fps,
                    num_frames=len(frames), masks=mask_paths)


def make_project(root: Path, *, engine_options: dict | None = None, size: tuple[int, int] = (64, 112)) -> Path:
    """A tiny project on disk: 64×112 at draft scale 1, 12 fps, one character with a reference portrait."""
    root.mkdir(parents=True, exist_ok=True)
    options = ", ".join(f"{k} = {v!r}".replace("True", "true").replace("'", '"') for k, v in (engine_options or {}).items())
    (root / "drama.toml").write_text(
        f'title = "test"\n[video]\nwidth = {size[0]}\nheight = {size[1]}\nfps = 12\ndraft_scale = 1.0\n'
        f'[render]\nengine = "test-squares"\ndraws = 2\nengine_options = {{ {options} }}\n', encoding="utf-8")
    (root / "cast.toml").write_text('[[character]]\nname = "Ann"\nreferences = ["refs/ann.png"]\ncolor = "#c0392b"\n',
                                    encoding="utf-8")
    (root / "refs").mkdir(exist_ok=True)
    portrait = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    ImageDraw.Draw(portrait).ellipse([4, 4, 36, 36], fill=(192, 57, 43, 255))
    portrait.save(root / "refs" / "ann.png")
    return root


def make_storyboard(project, moves: list[str] | None = None, *, duration: float = 1.0, episode: str = "ep01"):
    """A hand-made storyboard: one shot per move (Ann in every other shot) plus a title card."""
    from drama.storyboard.model import Shot, ShotCharacter, Storyboard
    from drama.storyboard.vocabulary import Move, ShotSize

    ann = ShotCharacter(name="Ann", reference_images=[project.root / "refs" / "ann.png"], x=0.5)
    shots = [Shot(id="title", index=0, kind="title_card", scene="1", size=ShotSize.WS, duration=1.0, text="Ep 1")]
    for index, move in enumerate(moves or ["static", "pan"], start=1):
        shots.append(Shot(id=f"s{index}-{move}", index=index, kind="dialogue", scene="1", location="kitchen",
                          size=ShotSize.MS, move=Move(move), duration=duration, prompt=f"shot {index} {move}",
                          characters=[ann] if index % 2 else []))
    return Storyboard(project=project.config.title, episode=episode, width=project.config.video.width,
                      height=project.config.video.height, fps=project.config.video.fps, shots=shots)


@register_engine
class GpuSquaresEngine(SquaresEngine):
    """The same pictures from an engine that declares a GPU: on a Ray cluster it draws in one actor per GPU
    (the cluster tests declare fake GPUs), and on this machine in the rendering process, one draw at a time."""

    name = "test-squares-gpu"
    resources = {"GPU": 1.0}


# --- two-stage drawing: a still engine and an image-to-video engine whose pixels can be checked -----------------

def _painted(request: RenderRequest) -> Image.Image:
    """A seeded picture of the prompt's world: the crop the seed chooses, the characters as discs."""
    w, h = request.width, request.height
    rng = np.random.default_rng(request.seed)
    background = world(seed=int(hashlib.sha256(request.prompt.encode()).hexdigest()[:6], 16))
    x, y = (int(rng.integers(0, side - size)) for side, size in zip(background.size, (w, h), strict=True))
    picture = background.crop((x, y, x + w, y + h))
    draw = ImageDraw.Draw(picture)
    for character in request.characters:
        cx, r = character.placement.x * w, 0.12 * w
        draw.ellipse([cx - r, 0.55 * h - r, cx + r, 0.55 * h + r], fill=character.color)
    return picture


@register_engine
class StillsEngine(ImageEngine):
    """An image engine: one seeded picture (`_painted`) per draw."""

    name = "test-stills"
    version = "1"
    features = ("text", "seed", "references", "controls")

    def render(self, request: RenderRequest, out_dir: Path) -> Still:
        _painted(request).save(out_dir / "still.png")
        return Still(image=out_dir / "still.png", width=request.width, height=request.height)


def drift(seed: int) -> int:
    """Pixels a test-i2v picture moves left per frame: 1 to 3, by the seed, so two draws differ."""
    return 1 + seed % 3


@register_engine
class I2VEngine(Engine):
    """An image-to-video engine: frame 0 is `first_frame` exactly (scaled to the request's size), each later frame
    that picture moved `drift` pixels further left (wrapping around: the camera pans right) and a little darker;
    without a first frame it starts from `_painted`."""

    name = "test-i2v"
    version = "1"
    features = ("text", "seed", "first_frame")

    def render(self, request: RenderRequest, out_dir: Path) -> Clip:
        w, h = request.width, request.height
        if request.first_frame is not None:
            with Image.open(request.first_frame) as image:
                start = np.asarray(image.convert("RGB").resize((w, h)))
        else:
            start = np.asarray(_painted(request))
        frames = [(np.roll(start, -drift(request.seed) * i, axis=1) * (1 - 0.01 * i)).astype(np.uint8)
                  for i in range(request.num_frames)]
        write_mp4(frames, out_dir / "video.mp4", width=w, height=h, fps=request.fps, crf=12)
        return Clip(video=out_dir / "video.mp4", width=w, height=h, fps=request.fps, num_frames=len(frames))


class _Instant:
    """A paid engine that answers at once, drawing on this machine: the request travels in the task's data, as a
    provider keeps it, so `fetch` can draw it."""

    provider = "test-paid"
    poll_interval = 0.01

    def submit(self, request: RenderRequest, key: str) -> RemoteTask:
        return RemoteTask(provider=self.provider, task_id=f"task-{key}", external_id=key, submitted=time.time(),
                          data={"request": request.model_dump_json()})

    def poll(self, task: RemoteTask) -> TaskStatus:
        return TaskStatus(state="succeeded", result_urls=["local:"])

    def fetch(self, task: RemoteTask, status: TaskStatus, out_dir: Path):
        return self.local().render(RenderRequest.model_validate_json(str(task.data["request"])), out_dir)


@register_engine
class PaidStillsEngine(_Instant, RemoteImageEngine):
    """test-stills' pictures at 0.05 an image."""

    name = "test-paid-stills"
    version = "1"
    price_per_image = 0.05
    local = StillsEngine


@register_engine
class PaidI2VEngine(_Instant, RemoteEngine):
    """test-i2v's clips at 0.5 a task."""

    name = "test-paid-i2v"
    version = "1"
    features = ("text", "seed", "first_frame")
    price_per_task = 0.5
    local = I2VEngine
