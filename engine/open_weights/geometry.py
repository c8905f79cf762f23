"""Pure planning of what a model is asked to generate and how its frames map back onto the request.

Open models accept only some sizes (multiples of VAE stride × patch) and frame counts (t·k + 1 for a
VAE that compresses time by t), and were trained at one frame rate and pixel budget. We generate at
what the model accepts, then crop and retime back, so the clip always matches the request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class GenerationPlan:
    """Model-side size, frame count and fps for one request, next to the request's own."""

    width: int
    height: int
    num_frames: int
    fps: float
    out_width: int
    out_height: int
    out_frames: int
    out_fps: float


def round_frames(needed: int, step: int) -> int:
    """The smallest count of the form step·k + 1 that is at least `needed` (and at least 1)."""
    return max(0, math.ceil((needed - 1) / step)) * step + 1


def model_size(width: int, height: int, *, multiple: int, max_area: int) -> tuple[int, int]:
    """Scale down to fit `max_area` pixels (never up), then pick the multiples of `multiple` around each
    side that stay within budget and keep the aspect best (ties: more pixels)."""
    scale = min(1.0, math.sqrt(max_area / (width * height)))
    w, h = width * scale / multiple, height * scale / multiple
    options = [
        (max(1, a) * multiple, max(1, b) * multiple)
        for a in {math.floor(w), math.ceil(w)}
        for b in {math.floor(h), math.ceil(h)}
    ]
    fitting = [size for size in options if size[0] * size[1] <= max(max_area, multiple * multiple)]
    return min(fitting or options, key=lambda s: (abs(s[0] / s[1] - width / height), -s[0] * s[1]))


def plan_generation(
    width: int,
    height: int,
    num_frames: int,
    fps: float,
    *,
    multiple: int,
    frame_step: int,
    max_area: int,
    model_fps: float | None,
) -> GenerationPlan:
    """Cover the request's duration at the model's fps with a frame count the model accepts.

    The output keeps the request's frames and fps; its size is the request's rounded to even sides
    (H.264 yuv420p needs them).
    """
    gen_fps = model_fps or fps
    gen_width, gen_height = model_size(width, height, multiple=multiple, max_area=max_area)
    needed = round((num_frames - 1) * gen_fps / fps) + 1
    return GenerationPlan(
        width=gen_width,
        height=gen_height,
        num_frames=round_frames(needed, frame_step),
        fps=gen_fps,
        out_width=width + width % 2,
        out_height=height + height % 2,
        out_frames=num_frames,
        out_fps=fps,
    )


def retime_indices(count: int, src_fps: float, dst_count: int, dst_fps: float) -> list[int]:
    """For each output frame, the nearest source frame in time (clamped to the source)."""
    return [min(count - 1, round(i * src_fps / dst_fps)) for i in range(dst_count)]


def cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Resize to cover width×height keeping the aspect, then centre-crop: no bars, no stretching."""
    scale = max(width / image.width, height / image.height)
    size = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    resized = image.resize(size, Image.Resampling.LANCZOS)
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return resized.crop((left, top, left + width, top + height))


def fit_frames(frames: np.ndarray, plan: GenerationPlan) -> list[np.ndarray]:
    """Generated frames (F×H×W×3, floats in [0, 1]) → the request's frames as uint8 RGB at its size and fps."""
    pixels = (np.clip(frames, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    picks = retime_indices(len(pixels), plan.fps, plan.out_frames, plan.out_fps)
    fitted: dict[int, np.ndarray] = {}
    for index in set(picks):
        fitted[index] = np.asarray(cover(Image.fromarray(pixels[index]), plan.out_width, plan.out_height))
    return [fitted[index] for index in picks]
