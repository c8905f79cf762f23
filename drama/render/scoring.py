"""Automatic scores for a candidate draw: numpy on a downscaled copy of some of its frames, no models, no downloads.

Each part keeps its value, weight and a one-line explanation so the review page can say why one draw
ranks above another. The composite is the weighted mean of the parts that apply to this draw; a part
that cannot be measured (no masks from the engine, a static shot's motion amount) is left out, not faked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from drama.render.frames import VideoSample, downscale, load_mask, load_video, nearest
from drama.render.motion import (MIN_JITTER, MIN_SHIFT, MIN_ZOOM, MotionEstimate, adherence, estimate_motion,
                                 expected_signature, path_frames)
from drama.render.parts import Score, ScorePart
from engine.api import CharacterRef, Clip, RenderRequest

WEIGHTS = {
    "flicker": 0.15,
    "sharpness": 0.15,
    "exposure": 0.15,
    "motion": 0.10,
    "camera": 0.25,
    "likeness": 0.15,
    "duration": 0.05,
}
MAX_SIDE = 160  # pixels on the longer side of the copy every score is computed on
# Which frames are read (`frames_to_score`): those the camera path is fitted between and the sharpness samples,
# always, so camera, motion, sharpness and likeness are what reading every frame gives, bit for bit; flicker and
# exposure are then means over the frames read, plus a triplet of consecutive frames every STRIDE frames when
# STRIDE > 0 (every frame when 1-3). A handheld request reads every frame: its parts hang on the frame-to-frame
# wobble, which a path sampled more sparsely measures larger (+10-100 % on previz handheld draws).
# bench/scoring_speed.py, the demo's 66 draws at 540x960 drawn in the same run (6405 frames, 2-core machine):
#   STRIDE 0   reads 28 % of the frames, scoring / render CPU 0.10 (wall 0.13); largest difference from reading
#              every frame: flicker 0.0011, exposure 0.0004, total 0.0002, every other part identical
#   STRIDE 8   54 %, CPU 0.14; flicker 0.0004, exposure 0.0006       STRIDE 24  37 %, CPU 0.12; exposure 0.0013
#   STRIDE 1   every frame, CPU 0.21; identical                     the scorer before: CPU 1.43 (wall 1.60)
# The cheapest, 0, keeps every part within 0.01 with ten times the margin.
STRIDE = 0
SAMPLES = 8  # frames, evenly spread, whose sharpness (and colours, for likeness) are measured
SHARPNESS_HALF = 60.0  # Laplacian variance (0-255 luma, at MAX_SIDE) that scores 0.5
NIGHT_TIMES = ("night", "evening", "dusk")


def _part(name: str, value: float | None, explanation: str) -> ScorePart:
    if value is not None:
        value = round(float(min(1.0, max(0.0, value))), 4)
    return ScorePart(name=name, value=value, weight=WEIGHTS[name], explanation=explanation)


def frames_to_score(total: int, stride: int = STRIDE) -> list[int]:
    """The frame numbers of a `total`-frame clip that scoring reads: the frames the camera path is measured on,
    the evenly spread samples (first and last among them) and, when `stride` > 0, a triplet of consecutive
    frames every `stride` frames. Every frame when `stride` is 1 to 3."""
    wanted = set(path_frames(total)) | set(samples(total).tolist())
    if stride > 0:
        wanted |= {n for n in range(total) if n % stride < 3}
    return sorted(wanted)


def stride_for(request: RenderRequest, stride: int = STRIDE) -> int:
    """The stride a draw is read at: every frame for a handheld request (see STRIDE), `stride` otherwise."""
    return 1 if expected_signature(request.camera.kind)[0] == "jitter" else stride


def samples(total: int) -> np.ndarray:
    """`SAMPLES` frame numbers evenly spread over a `total`-frame clip, first and last included."""
    return np.linspace(0, total - 1, min(SAMPLES, total)).round().astype(int)


def flicker(gray: np.ndarray, index: np.ndarray | None = None) -> ScorePart:
    """VBench temporal flickering: mean absolute difference of consecutive frames, as (255 - mean) / 255.
    With `index` (the frame numbers of a selection), over the consecutive pairs in it."""
    change = np.abs(np.diff(gray, axis=0))
    if index is not None:
        change = change[np.diff(index) == 1]
    if len(change) < 1:
        return _part("flicker", 1.0, "single frame")
    mean = float(change.mean())
    return _part("flicker", (255 - mean) / 255, f"mean frame-to-frame change {mean:.1f}/255")


def laplacian_variance(frame: np.ndarray) -> float:
    lap = (-4 * frame[1:-1, 1:-1] + frame[:-2, 1:-1] + frame[2:, 1:-1] + frame[1:-1, :-2] + frame[1:-1, 2:])
    return float(lap.var())


def sharpness(gray: np.ndarray, index: np.ndarray | None = None, total: int | None = None) -> ScorePart:
    """Variance of the Laplacian at `SAMPLES` evenly spread frames (their median), mapped to [0, 1) by
    v / (v + half). With `index` and `total` (a selection of a clip's frames), at the frames read nearest them."""
    numbers = np.arange(len(gray)) if index is None else index
    picks = nearest(numbers, samples(len(gray) if total is None else total))
    variance = float(np.median([laplacian_variance(gray[i]) for i in picks]))
    return _part("sharpness", variance / (variance + SHARPNESS_HALF),
                 f"Laplacian variance {variance:.0f} ({'sharp' if variance > SHARPNESS_HALF else 'soft'})")


def exposure(gray: np.ndarray, time_of_day: str) -> ScorePart:
    """Clipped pixels (crushed to black or blown to white) and mean luminance against a target:
    mid-grey for day, darker for night scenes."""
    clipped = float(((gray <= 6) | (gray >= 249)).mean())
    mean = float(gray.mean()) / 255
    target = 0.3 if time_of_day in NIGHT_TIMES else 0.5
    off = max(0.0, abs(mean - target) - 0.15) / 0.35
    value = (1 - min(1.0, 2 * clipped)) * (1 - min(1.0, off))
    return _part("exposure", value, f"{clipped:.1%} clipped, mean luminance {mean:.2f} (target {target:.1f})")


def motion_amount(gray: np.ndarray, estimate: MotionEstimate, move: str) -> ScorePart:
    """Penalise too little motion when a move was asked for, so a frozen clip cannot win on flicker.
    Not measured for a static shot: there any amount of character motion is fine."""
    component, _ = expected_signature(move)
    if component == "static":
        return _part("motion", None, "static shot: no camera motion required")
    if component == "jitter":
        ratio = estimate.jitter / MIN_JITTER
    else:
        ratio = max(abs(estimate.x) / MIN_SHIFT, abs(estimate.y) / MIN_SHIFT, abs(estimate.zoom) / MIN_ZOOM)
    change = float(np.abs(gray[-1] - gray[0]).mean()) if len(gray) > 1 else 0.0
    return _part("motion", min(1.0, ratio), f"{move} asked; camera moved {ratio:.1f}× the visible minimum, "
                                            f"first-to-last frame change {change:.0f}/255")


def camera(estimate: MotionEstimate, request: RenderRequest) -> ScorePart:
    value, reason = adherence(estimate, request.camera.kind, request.camera.direction)
    return _part("camera", value, reason)


def colour_histogram(pixels: np.ndarray, bins: int = 8) -> np.ndarray:
    """A normalised joint RGB histogram of Nx3 pixels in [0, 255], smoothed by one bin along each axis so a
    colour sitting on a bin edge (and nudged across it by compression) still matches itself."""
    index = np.clip(pixels // (256 / bins), 0, bins - 1).astype(int)
    flat = (index[:, 0] * bins + index[:, 1]) * bins + index[:, 2]
    hist = np.bincount(flat, minlength=bins ** 3).astype(np.float64).reshape(bins, bins, bins)
    for axis in range(3):
        padded = np.pad(hist, [(1, 1) if a == axis else (0, 0) for a in range(3)])
        hist = (np.take(padded, range(0, bins), axis) + 2 * np.take(padded, range(1, bins + 1), axis)
                + np.take(padded, range(2, bins + 2), axis)) / 4
    return (hist / max(hist.sum(), 1e-12)).ravel()


def reference_pixels(path: Path) -> np.ndarray:
    """The opaque pixels of a reference image (all of them when it has no alpha), downscaled."""
    with Image.open(path) as image:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
    small = downscale(rgba, MAX_SIDE)
    return small[..., :3][small[..., 3] > 128]


def likeness(sample: VideoSample, clip: Clip, characters: tuple[CharacterRef, ...]) -> ScorePart:
    """Histogram intersection between each reference's colours and the candidate's pixels inside that
    character's mask. Not measured when the engine wrote no masks for characters with references."""
    scores, names = [], []
    for character in characters:
        mask_path = clip.masks.get(character.name)
        if mask_path is None or not character.reference_images:
            continue
        mask = load_mask(mask_path, sample.gray.shape[1:], sample.numbers)
        frames = sample.num_frames if len(mask) == len(sample.gray) else int(sample.numbers[len(mask) - 1]) + 1
        picks = sample.nearest(samples(frames))
        inside = np.concatenate([sample.rgb[i][mask[i] > 0.5] for i in picks])
        if len(inside) < 16:
            continue
        reference = np.concatenate([reference_pixels(p) for p in character.reference_images])
        if len(reference) == 0:
            continue
        scores.append(float(np.minimum(colour_histogram(reference), colour_histogram(inside)).sum()))
        names.append(f"{character.name} {scores[-1]:.2f}")
    if not scores:
        why = "no characters with reference images" if not any(c.reference_images for c in characters) \
            else "the engine wrote no character masks"
        return _part("likeness", None, f"not measured: {why}")
    return _part("likeness", float(np.mean(scores)), "colour match to reference: " + ", ".join(names))


def characters_mask(sample: VideoSample, clip: Clip) -> np.ndarray | None:
    """Where any character is, per frame of the sample (KxHxW bool), from the engine's masks; None when it wrote
    none."""
    if not clip.masks:
        return None
    masks = [load_mask(path, sample.gray.shape[1:], sample.numbers) for path in clip.masks.values()]
    frames = min(len(m) for m in masks)
    return np.max([m[:frames] for m in masks], axis=0) > 0.5


def duration_match(sample: VideoSample, request: RenderRequest, fps: float | None = None) -> ScorePart:
    """Seconds delivered (the clip's frames at its own `fps`, default the request's) against seconds asked. A clip
    short of the shot is penalised (the edit would hold its last frame); one frame short is exact enough. A longer
    clip is not: providers draw fixed lengths (Kling 5 or 10 s at 24 fps), and the edit cuts the shot's length from
    the start and hands the rest to the finishing editor as handle."""
    fps = fps or request.fps
    delivered, asked = sample.num_frames / fps, request.duration
    short = asked - delivered
    value = 1.0 if short <= 1 / min(fps, request.fps) + 1e-9 else max(0.0, 1 - 5 * short / asked)
    if fps == request.fps:
        detail = f"{sample.num_frames} of {request.num_frames} frames"
    else:
        detail = f"{delivered:.2f} s ({sample.num_frames} frames at {fps:g} fps) of {asked:.2f} s"
    return _part("duration", value, detail + (", the rest trimmed by the edit" if short < 0 and value == 1.0 else ""))


def score_clip(request: RenderRequest, clip: Clip, *, stride: int = STRIDE) -> Score:
    """Every part that applies to this draw, combined, from the frames `frames_to_score` names (at `stride`,
    or every frame for a handheld request)."""
    stride = stride_for(request, stride)
    sample = load_video(clip.video, max_side=MAX_SIDE, select=lambda total: frames_to_score(total, stride))
    return score_sample(request, clip, sample)


def score_sample(request: RenderRequest, clip: Clip, sample: VideoSample) -> Score:
    """Every part that applies to this draw, from frames of it already read (all of them, or a selection that
    holds `frames_to_score`'s for some stride); the masks are read at the same frames."""
    estimate = estimate_motion(sample.gray, ignore=characters_mask(sample, clip), index=sample.index,
                               total=sample.total)
    parts = [
        flicker(sample.gray, sample.index),
        sharpness(sample.gray, sample.index, sample.total),
        exposure(sample.gray, request.scene.time_of_day),
        motion_amount(sample.gray, estimate, request.camera.kind),
        camera(estimate, request),
        likeness(sample, clip, request.characters),
        duration_match(sample, request, clip.fps),
    ]
    return Score.combine(parts)
