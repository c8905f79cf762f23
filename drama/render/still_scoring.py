"""Automatic scores for a still (a keyframe, a character sheet view): exposure and sharpness as for video draws,
likeness to the characters' references, and how closely it keeps the previz layout it was asked to follow."""

from __future__ import annotations

import numpy as np
from PIL import Image

from drama.render.frames import downscale, gray
from drama.render.parts import Score, ScorePart
from drama.render.scoring import MAX_SIDE, colour_histogram, exposure, laplacian_variance, reference_pixels
from drama.render.scoring import SHARPNESS_HALF
from engine.api import RenderRequest

WEIGHTS = {"exposure": 0.3, "sharpness": 0.25, "likeness": 0.25, "layout": 0.2}


def _part(part: ScorePart) -> ScorePart:
    return part.model_copy(update={"weight": WEIGHTS[part.name]})


def _small(picture: Image.Image) -> np.ndarray:
    return downscale(np.asarray(picture.convert("RGB"), dtype=np.float32), MAX_SIDE)


def sharpness(luma: np.ndarray) -> ScorePart:
    variance = laplacian_variance(luma)
    return ScorePart(name="sharpness", value=round(variance / (variance + SHARPNESS_HALF), 4),
                     weight=WEIGHTS["sharpness"],
                     explanation=f"Laplacian variance {variance:.0f} ({'sharp' if variance > SHARPNESS_HALF else 'soft'})")


def likeness(rgb: np.ndarray, request: RenderRequest) -> ScorePart:
    """Histogram intersection between the references' colours (all on-screen characters') and the still's centre
    half, where the framing puts the people: a still that drifts from the references' wardrobe and skin scores low."""
    references = [p for c in request.characters for p in c.reference_images]
    if not references:
        return ScorePart(name="likeness", value=None, weight=WEIGHTS["likeness"],
                         explanation="not measured: no characters with reference images")
    height, width = rgb.shape[:2]
    centre = rgb[height // 4: 3 * height // 4, width // 4: 3 * width // 4].reshape(-1, 3)
    reference = np.concatenate([reference_pixels(p) for p in references])
    value = float(np.minimum(colour_histogram(reference), colour_histogram(centre)).sum())
    return ScorePart(name="likeness", value=round(min(1.0, value), 4), weight=WEIGHTS["likeness"],
                     explanation=f"colour match to {len(references)} reference image(s): {value:.2f}")


def _edges(luma: np.ndarray) -> np.ndarray:
    dy, dx = np.gradient(luma)
    return np.hypot(dx, dy)


def layout(luma: np.ndarray, request: RenderRequest) -> ScorePart:
    """Correlation of the still's edge map with the previz layout's (the `layout` control, an image), both at the
    scoring size: where the previz put the horizon, the table and the figures, the still should have its edges."""
    control = next((c for c in request.controls if c.kind == "layout" and c.path.suffix.lower() != ".mp4"), None)
    if control is None:
        return ScorePart(name="layout", value=None, weight=WEIGHTS["layout"], explanation="not measured: no previz layout")
    with Image.open(control.path) as image:
        guide = gray(_small(image.resize((request.width, request.height))))
    ours = _edges(luma[: guide.shape[0], : guide.shape[1]])
    theirs = _edges(guide[: ours.shape[0], : ours.shape[1]])
    a, b = ours - ours.mean(), theirs - theirs.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    correlation = float((a * b).sum()) / denominator if denominator else 0.0
    return ScorePart(name="layout", value=round(max(0.0, min(1.0, correlation)), 4), weight=WEIGHTS["layout"],
                     explanation=f"edge correlation with the previz layout {correlation:.2f}")


def score_still(request: RenderRequest, picture: Image.Image) -> Score:
    if picture.size != (request.width, request.height):
        picture = picture.resize((request.width, request.height))
    rgb = _small(picture)
    luma = gray(rgb)
    return Score.combine([_part(exposure(luma[None], request.scene.time_of_day)), sharpness(luma),
                          likeness(rgb, request), layout(luma, request)])
