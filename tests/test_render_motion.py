"""The scorer's own motion estimate recovers every requested camera move, from pixels alone."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from drama.render.motion import adherence, dominant_move, estimate_motion, expected_signature, phase_correlate
from render_fakes import MOVES, world


def synthetic_clip(move: str, direction: int, frames: int = 24, size: tuple[int, int] = (72, 128)) -> np.ndarray:
    """Grayscale frames of a camera moving over a textured world: shifted, scaled or shaken crops of one image."""
    texture = world().convert("L")
    w, h = size
    rng = np.random.default_rng(7)
    out = []
    for i in range(frames):
        t = i / (frames - 1)
        cx, cy, scale = texture.width / 2, texture.height / 2, 1.0
        if move in ("pan", "truck", "follow"):
            cx += direction * 0.3 * w * t  # camera goes right → content goes left
        elif move == "orbit":
            cx -= direction * 0.3 * w * t  # the background behind the pivot goes the camera's way
        elif move in ("tilt", "crane"):
            cy -= direction * 0.3 * h * t
        elif move == "dolly_in" or (move == "zoom" and direction > 0):
            scale = 1 + 0.3 * t
        elif move == "dolly_out" or (move == "zoom" and direction < 0):
            scale = 1 / (1 + 0.3 * t)
        elif move == "handheld":
            cx, cy = cx + rng.normal(0, 1.2), cy + rng.normal(0, 1.2)
        bw, bh = w / scale, h / scale
        crop = texture.transform((w, h), Image.EXTENT, (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2),
                                 Image.BILINEAR)
        out.append(np.asarray(crop, dtype=np.float32))
    return np.stack(out)


def test_phase_correlation_reports_where_content_went():
    texture = np.asarray(world().convert("L"), dtype=np.float32)[:96, :96]
    moved = np.roll(texture, shift=(3, -5), axis=(0, 1))  # content 3 px down, 5 px left
    dx, dy, peak = phase_correlate(texture, moved)
    assert dx == pytest.approx(-5, abs=0.2) and dy == pytest.approx(3, abs=0.2)
    assert peak > 0.5


UNDIRECTED = ("static", "dolly_in", "dolly_out", "handheld")
CASES = [(move, 1) for move in MOVES] + [(move, -1) for move in MOVES if move not in UNDIRECTED]


@pytest.mark.parametrize(("move", "direction"), CASES)
def test_every_move_is_recovered(move, direction):
    motion = estimate_motion(synthetic_clip(move, direction))
    assert dominant_move(motion) == expected_signature(move, direction), motion
    score, reason = adherence(motion, move, direction)
    assert score > 0.9, reason


@pytest.mark.parametrize("move", ["pan", "tilt", "dolly_in", "zoom", "orbit"])
def test_the_opposite_move_scores_zero(move):
    """A pan left when a pan right was asked for is not half right: it is wrong."""
    motion = estimate_motion(synthetic_clip(move, 1))
    opposite = {"dolly_in": ("dolly_out", 1)}.get(move, (move, -1))
    assert adherence(motion, *opposite)[0] < 0.05


def test_magnitudes_are_measured_not_just_signs():
    pan = estimate_motion(synthetic_clip("pan", 1))
    assert pan.x == pytest.approx(-0.3, abs=0.04)  # 30 % of the width
    dolly = estimate_motion(synthetic_clip("dolly_in", 1))
    assert np.exp(dolly.zoom) == pytest.approx(1.3, abs=0.06)


def test_static_clip_does_not_pass_for_a_move():
    frozen = estimate_motion(synthetic_clip("static", 1))
    assert adherence(frozen, "static")[0] > 0.95
    for move in MOVES[1:]:
        assert adherence(frozen, move, 1)[0] < 0.1, move


def with_rain(frames: np.ndarray, fall: float = 0.045) -> np.ndarray:
    """Bright streaks shorter than their fall on a sheet sliding down `fall` of the height every frame, over
    the clip (like previz rain: streaks 4 % of the frame long falling 4.5 % a frame)."""
    count, h, w = frames.shape
    rng = np.random.default_rng(3)
    sheet = np.zeros((h * 3, w), np.float32)
    length = int(0.04 * h)
    for x, y in zip(rng.integers(0, w, 160), rng.integers(0, h * 3 - length, 160), strict=True):
        sheet[y:y + length, x] = 1.0
    rained = frames.copy()
    for i in range(count):
        offset = int(i * fall * h) % (2 * h)
        streaks = sheet[2 * h - offset:3 * h - offset]
        rained[i] = np.maximum(rained[i], 235 * streaks)
    return rained


@pytest.mark.parametrize(("move", "direction"), [("static", 1), ("crane", -1), ("tilt", -1), ("pan", 1)])
def test_falling_rain_is_not_camera_motion(move, direction):
    """Rain crosses a pixel in a frame and is gone; the scene stays. Streaks falling down the frame must not read
    as content moving down (a crane down in the rain once scored 'the wrong way')."""
    motion = estimate_motion(with_rain(synthetic_clip(move, direction)))
    score, reason = adherence(motion, move, direction)
    assert score > 0.9, reason


@pytest.mark.parametrize(("move", "direction"), [("dolly_in", 1), ("zoom", -1), ("pan", 1)])
def test_a_close_up_is_measured_on_the_person_when_little_else_shows(move, direction):
    """Where the people cover nearly the whole frame (a close-up), the world around them is too small to see the
    camera by; the picture as a whole still shows the dolly, and falling back to one translation would not."""
    frames = synthetic_clip(move, direction)
    person = np.ones(frames.shape, dtype=bool)
    person[:, :8] = False  # a strip of background above the head, thinner than a tile
    motion = estimate_motion(frames, ignore=person)
    score, reason = adherence(motion, move, direction)
    assert score > 0.9, reason
