"""Score parts measure what they say: blur, clipping, flicker, colour likeness, duration."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from drama.render.frames import VideoSample
from drama.render.scoring import ScorePart, Score, colour_histogram, duration_match, exposure, flicker, sharpness
from engine.api import RenderRequest
from render_fakes import world


def clip_of(image: Image.Image, frames: int = 6) -> np.ndarray:
    gray = np.asarray(image.convert("L"), dtype=np.float32)[:160, :90]
    return np.stack([gray] * frames)


def test_blur_lowers_sharpness():
    sharp = sharpness(clip_of(world()))
    blurred = sharpness(clip_of(world().filter(ImageFilter.GaussianBlur(3))))
    assert sharp.value > 3 * blurred.value
    assert "Laplacian" in blurred.explanation


def test_clipping_and_darkness_lower_exposure():
    good = clip_of(world())
    assert exposure(good, "day").value > 0.9
    assert exposure(np.clip(good * 3, 0, 255), "day").value < 0.3  # blown out
    assert exposure(good * 0.2, "day").value < 0.5  # far too dark for day …
    assert exposure(good * 0.6, "night").value > exposure(good * 0.6, "day").value  # … but night may be darker


def test_flicker_is_vbench_mean_absolute_difference():
    steady = clip_of(world())
    flickering = steady.copy()
    flickering[1::2] += 40
    assert flicker(steady).value == 1.0
    assert abs(flicker(np.clip(flickering, 0, 255)).value - (255 - 40) / 255) < 0.01


def test_a_selection_of_frames_is_scored_on_its_consecutive_pairs():
    """Frames 0, 1, 4, 5 of a clip: the jump from 1 to 4 is not a frame-to-frame change, and a frame not read
    stands for itself by the nearest one read."""
    frames = clip_of(world())[:4].copy()
    frames[2:] += 60  # what happened between frames 1 and 4
    index = np.array([0, 1, 4, 5])
    assert flicker(frames, index).value == 1.0
    assert flicker(frames).value == round((255 - 60 / 3) / 255, 4)  # read as consecutive frames: a flicker
    sample = VideoSample(frames, frames, index, 6)
    assert list(sample.nearest([0, 2, 3, 5])) == [0, 1, 2, 3] and sample.num_frames == 6


def test_colour_histogram_matches_itself_across_compression_noise():
    red = np.tile([[192, 57, 43]], (500, 1)).astype(np.float32)
    noisy = np.clip(red + np.random.default_rng(0).normal(0, 6, red.shape), 0, 255)
    blue = np.tile([[40, 60, 200]], (500, 1)).astype(np.float32)
    same = np.minimum(colour_histogram(red), colour_histogram(noisy)).sum()
    other = np.minimum(colour_histogram(red), colour_histogram(blue)).sum()
    assert same > 0.6 and other < 0.05


def test_duration_and_composite():
    sample = VideoSample(gray=np.zeros((30, 8, 8)), rgb=np.zeros((30, 8, 8, 3)))
    asked = RenderRequest(prompt="x", num_frames=30)
    assert duration_match(sample, asked).value == 1.0
    assert duration_match(sample, asked.model_copy(update={"num_frames": 60})).value == 0.0
    assert duration_match(sample, asked.model_copy(update={"num_frames": 31})).value == 1.0  # one frame short
    assert duration_match(sample, asked.model_copy(update={"num_frames": 33})).value == round(1 - 5 * 3 / 33, 4)
    # a provider's fixed length: 120 frames at 24 fps (5 s) for a 3 s shot at 30 fps is long enough, the edit trims
    kling = VideoSample(gray=np.zeros((120, 8, 8)), rgb=np.zeros((120, 8, 8, 3)))
    three = RenderRequest(prompt="x", num_frames=90, fps=30)
    assert duration_match(kling, three, fps=24).value == 1.0
    # 120 frames at 24 fps are 5 s: half a second short of a 5.5 s shot
    longer = RenderRequest(prompt="x", num_frames=165, fps=30)
    assert duration_match(kling, longer, fps=24).value == round(1 - 5 * 0.5 / 5.5, 4)
    four = RenderRequest(prompt="x", num_frames=120, fps=30)  # 120 frames asked at 30 fps: 4 s, 5 s delivered
    assert duration_match(kling, four, fps=24).value == 1.0
    score = Score.combine([ScorePart(name="a", value=1.0, weight=3, explanation=""),
                           ScorePart(name="b", value=0.0, weight=1, explanation=""),
                           ScorePart(name="c", value=None, weight=5, explanation="not measured")])
    assert score.total == 0.75  # the unmeasured part is left out, not counted as zero
