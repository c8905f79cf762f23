"""Procedural training data for the learning proof and the tests: a coloured square moving in one of
four directions on a dark background, the prompt naming colour and direction (English or Chinese),
and the frame rate setting the stride of the motion. Some colour × direction pairs are held out of
training so that the proof measures composition, not memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (230, 40, 40),
    "green": (40, 200, 60),
    "blue": (50, 90, 245),
    "yellow": (240, 220, 40),
}
DIRECTIONS: dict[str, tuple[int, int]] = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
COLOURS_ZH = {"red": "红", "green": "绿", "blue": "蓝", "yellow": "黄"}
DIRECTIONS_ZH = {"left": "左", "right": "右", "up": "上", "down": "下"}
HELD_OUT: frozenset[tuple[str, str]] = frozenset({("red", "left"), ("green", "right"), ("blue", "up"), ("yellow", "down")})
TRAIN_PAIRS = [(c, d) for c in COLOURS for d in DIRECTIONS if (c, d) not in HELD_OUT]
BACKGROUND = (16, 16, 20)
FPS_STRIDE = {16.0: 1, 8.0: 2}  # the same world speed filmed at half the frame rate moves twice as far per frame
BASE_SPEED = 0.5  # pixels per frame at 16 fps
TEMPLATES_EN = ("a {c} square moving {d}", "{c} square moves {d}", "a small {c} box going {d}")
TEMPLATE_ZH = "{c}色方块向{d}移动"


def prompt_for(colour: str, direction: str, variant: int = 0) -> str:
    if variant == len(TEMPLATES_EN):
        return TEMPLATE_ZH.format(c=COLOURS_ZH[colour], d=DIRECTIONS_ZH[direction])
    return TEMPLATES_EN[variant].format(c=colour, d=direction)


def motion_bucket_for(fps: float) -> int:
    return FPS_STRIDE[fps]


@dataclass
class ShapeClip:
    video: np.ndarray  # [T, H, W, 3] uint8
    colour: str
    direction: str
    fps: float
    prompt: str


def _coverage(start: np.ndarray, side: float, size: int) -> np.ndarray:
    """[T, size] fraction of each pixel covered by the interval [start, start + side) (anti-aliased)."""
    px = np.arange(size)[None, :]
    lo, hi = start[:, None], start[:, None] + side
    return np.clip(np.minimum(hi, px + 1) - np.maximum(lo, px), 0.0, 1.0)


def render_square(colour: str, direction: str, fps: float, frames: int, size: int, rng: np.random.Generator) -> np.ndarray:
    side = rng.uniform(5.0, 8.0)
    speed = BASE_SPEED * FPS_STRIDE[fps]
    travel = speed * (frames - 1)
    dx, dy = DIRECTIONS[direction]
    room = max(size - side - travel, 0.0)
    along = rng.uniform(0, room) + (travel if (dx or dy) < 0 else 0.0)
    across = rng.uniform(0, size - side)
    steps = np.arange(frames) * speed
    if dx:
        xs, ys = along + dx * steps, np.full(frames, across)
    else:
        xs, ys = np.full(frames, across), along + dy * steps
    mask = _coverage(ys, side, size)[:, :, None] * _coverage(xs, side, size)[:, None, :]  # [T, H, W]
    bg, fg = np.array(BACKGROUND, np.float32), np.array(COLOURS[colour], np.float32)
    video = bg + mask[..., None] * (fg - bg)
    return np.round(video).astype(np.uint8)


def random_clip(rng: np.random.Generator, frames: int, size: int, pairs: list[tuple[str, str]] | None = None) -> ShapeClip:
    pairs = pairs or TRAIN_PAIRS
    colour, direction = pairs[rng.integers(len(pairs))]
    fps = float(rng.choice(list(FPS_STRIDE)))
    prompt = prompt_for(colour, direction, int(rng.integers(len(TEMPLATES_EN) + 1)))
    return ShapeClip(render_square(colour, direction, fps, frames, size, rng), colour, direction, fps, prompt)


def to_tensor(videos: list[np.ndarray]) -> torch.Tensor:
    """uint8 [T, H, W, 3] videos → float [B, 3, T, H, W] in [-1, 1]."""
    return torch.from_numpy(np.stack(videos)).permute(0, 4, 1, 2, 3).float() / 127.5 - 1.0


# measuring generated clips ----------------------------------------------------------------------


def foreground(video: np.ndarray, threshold: float = 60.0) -> np.ndarray:
    """[T, H, W] weight of each pixel being the shape: distance from the background colour."""
    dist = np.abs(video.astype(np.float32) - np.array(BACKGROUND, np.float32)).max(axis=-1)
    return np.clip((dist - threshold) / 60.0, 0.0, 1.0)


def centroids(video: np.ndarray) -> np.ndarray:
    """[T, 2] (x, y) centre of the shape per frame; NaN where nothing stands out."""
    weight = foreground(video)
    total = weight.sum(axis=(1, 2))
    h, w = weight.shape[1:]
    ys, xs = np.mgrid[0:h, 0:w]
    with np.errstate(invalid="ignore", divide="ignore"):
        cx = (weight * xs).sum(axis=(1, 2)) / total
        cy = (weight * ys).sum(axis=(1, 2)) / total
    out = np.stack([cx, cy], axis=1)
    out[total < 2.0] = np.nan
    return out


def direction_of(video: np.ndarray) -> str | None:
    """The direction of the centroid's least-squares velocity, or None when the shape is lost."""
    c = centroids(video)
    ok = ~np.isnan(c[:, 0])
    if ok.sum() < 3:
        return None
    t = np.arange(len(c))[ok]
    vx, vy = np.polyfit(t, c[ok, 0], 1)[0], np.polyfit(t, c[ok, 1], 1)[0]
    if abs(vx) >= abs(vy):
        return "right" if vx > 0 else "left"
    return "down" if vy > 0 else "up"


def colour_of(video: np.ndarray) -> str | None:
    weight = foreground(video)
    if weight.sum() < 2.0:
        return None
    mean = (video.astype(np.float32) * weight[..., None]).sum(axis=(0, 1, 2)) / weight.sum()
    return min(COLOURS, key=lambda name: float(np.sum((np.array(COLOURS[name]) - mean) ** 2)))
