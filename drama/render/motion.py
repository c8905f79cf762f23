"""Global camera motion of a clip, estimated from its pixels alone (numpy only, engine-agnostic).

Between pairs of frames, tiles are matched by phase correlation and an affine map (translation, scale,
rotation, parallax stretch) is fitted to the tile displacements; summed over the clip this says
where the content went: left/right, up/down, bigger/smaller, and how much it shook. `expected_signature`
says what each requested camera move should produce, so scoring can compare the two.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

# Image axes: x grows to the right, y grows downwards. A camera panning right moves content left (x < 0);
# tilting or craning up moves content down (y > 0); dollying in or zooming in makes content grow (zoom > 0).


class MotionEstimate(BaseModel):
    """Content motion over the whole clip, in units that do not depend on resolution."""

    x: float  # horizontal content shift, fraction of frame width (+ = content moved right)
    y: float  # vertical content shift, fraction of frame height (+ = content moved down)
    zoom: float  # natural log of the scale change (+ = content grew)
    rotation: float  # degrees, counter-clockwise in image coordinates
    jitter: float  # RMS wobble of the camera path around a smooth curve, fraction of frame width
    parallax: float  # spread of tile motion the similarity fit does not explain (depth layers moving apart)

    @property
    def magnitude(self) -> float:
        return math.hypot(self.x, self.y, self.zoom)


def _window(h: int, w: int) -> np.ndarray:
    return np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)


def _spectra(frames: np.ndarray, window: np.ndarray) -> np.ndarray:
    """The windowed spectra of a stack of frames (...xHxW), each taken around its own mean."""
    return np.fft.rfft2((frames - frames.mean(axis=(-2, -1), keepdims=True)) * window)


def _peaks(fa: np.ndarray, fb: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dy, peak) for each pair of spectra in two NxHx(W/2+1) stacks: the phase correlation of every pair,
    the transforms done for the whole stack at once (numpy's FFT of a stack is the FFT of each, bit for bit)."""
    n, (h, w) = len(fa), shape
    if n == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    # Normalised one pair at a time, as one pair alone was: numpy's complex abs and division take SIMD or scalar
    # paths by array size and alignment, which round differently in the last bit.
    cross = np.empty_like(fa)
    for k in range(len(fa)):
        pair = fb[k] * np.conj(fa[k])
        pair /= np.abs(pair) + 1e-9
        cross[k] = pair
    corr = np.fft.irfft2(cross, s=shape)
    iy, ix = np.unravel_index(corr.reshape(n, -1).argmax(axis=1), shape)
    k = np.arange(n)
    peak = corr[k, iy, ix]
    dy = iy + _subpixel(corr[k, (iy - 1) % h, ix], peak, corr[k, (iy + 1) % h, ix])
    dx = ix + _subpixel(corr[k, iy, (ix - 1) % w], peak, corr[k, iy, (ix + 1) % w])
    dy = np.where(dy > h / 2, dy - h, dy)
    dx = np.where(dx > w / 2, dx - w, dx)
    return dx, dy, peak.astype(np.float64)


def _subpixel(c_minus: np.ndarray, c0: np.ndarray, c_plus: np.ndarray) -> np.ndarray:
    """Where a parabola through three samples of a peak tops, relative to the middle one."""
    denom = c_minus - 2 * c0 + c_plus
    flat = np.abs(denom) < 1e-12
    return np.where(flat, 0.0, 0.5 * (c_minus - c_plus) / np.where(flat, 1, denom))


def phase_correlate(a: np.ndarray, b: np.ndarray, window: np.ndarray | None = None) -> tuple[float, float, float]:
    """(dx, dy, peak): how far the content of `a` moved to become `b`, in pixels, and the correlation peak
    height (near 1 for a clean match, near 0 for no match)."""
    if window is None:
        window = _window(*a.shape)
    dx, dy, peak = _peaks(_spectra(a[None], window), _spectra(b[None], window), a.shape)
    return float(dx[0]), float(dy[0]), float(peak[0])


def _tiles(h: int, w: int) -> tuple[int, list[tuple[int, int]]]:
    """A tile size and the top-left corners of an overlapping grid of tiles covering the frame."""
    size = max(8, (min(h, w) // 3) // 2 * 2)
    rows = max(2, round(2 * h / size) - 1)
    cols = max(2, round(2 * w / size) - 1)
    ys = np.linspace(0, h - size, rows).round().astype(int)
    xs = np.linspace(0, w - size, cols).round().astype(int)
    return size, [(int(y), int(x)) for y in ys for x in xs]


def fit_motion(a: np.ndarray, b: np.ndarray, ignore: np.ndarray | None = None) -> tuple[float, float, float, float, float]:
    """(tx, ty, log_scale, angle_rad, residual) of the camera motion taking frame `a` to `b`: an affine map
    fitted by weighted least squares to phase-correlated tile displacements, of which the scale is the part
    both axes agree on (a crane's ground plane stretches only vertically: that is parallax, not a zoom); tiles that disagree with the
    first fit (a character walking across a still background) are dropped before the second. Tiles mostly
    covered by `ignore` (HxW bool: the characters, when the engine wrote masks) do not take part: the
    camera is seen in the world around the people, not in the people it follows — unless that world shows
    in fewer than four textured tiles or a third of them (a close-up, the room a soft strip beside the face),
    when the picture as a whole, people included, is what shows the camera."""
    h, w = a.shape
    size, corners = _tiles(h, w)
    top, left = (np.array(c) for c in zip(*corners, strict=True))
    ys, xs = (top[:, None] + np.arange(size))[:, :, None], (left[:, None] + np.arange(size))[:, None, :]
    ta, tb = a[ys, xs], b[ys, xs]  # every tile at once, N x size x size, in the grid's order
    textured = (ta.std(axis=(1, 2)) >= 2.0) & (tb.std(axis=(1, 2)) >= 2.0)  # a flat tile's peak means nothing
    window = _window(size, size)
    dx, dy, peak = _peaks(_spectra(ta[textured], window), _spectra(tb[textured], window), (size, size))
    cx, cy = left[textured] + size / 2 - w / 2, top[textured] + size / 2 - h / 2
    one, zero = np.ones_like(cx), np.zeros_like(cx)
    design = np.stack([np.stack([cx, cy, one, zero, zero, zero], axis=1),  # two rows a tile: its x, its y
                       np.stack([zero, zero, zero, cx, cy, one], axis=1)], axis=1).reshape(-1, 6)
    target, weight = np.stack([dx, dy], axis=1).reshape(-1), np.repeat(peak, 2)
    people = np.zeros(len(target), dtype=bool) if ignore is None else \
        np.repeat(ignore[ys, xs][textured].mean(axis=(1, 2)) > 0.3, 2)
    world = ~people
    if world.sum() >= max(8, len(world) / 3):
        design, target, weight = design[world], target[world], weight[world]
    if len(target) < 8:  # fewer than four textured tiles: fall back to one global translation
        dx, dy, _ = phase_correlate(a, b)
        return dx, dy, 0.0, 0.0, 0.0
    params = residual = None
    # A soft pull towards a similarity (a11 = a22, a12 = -a21): with tiles on only a strip of the frame (a
    # close-up with the person masked out) the affine terms are not determined and the pull decides them.
    prior = np.array([[1.0, 0.0, 0.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, 1.0, 0.0, 0.0]])
    for _ in range(2):
        sw = np.sqrt(weight)
        pull = math.sqrt(0.05 * float(np.sum(weight * (design[:, :2] ** 2).sum(axis=1))) + 1e-9)
        params, *_ = np.linalg.lstsq(np.vstack([design * sw[:, None], pull * prior]),
                                     np.concatenate([target * sw, np.zeros(2)]), rcond=None)
        error = np.hypot(*(design @ params - target).reshape(-1, 2).T)
        residual = float(np.average(error, weights=weight[::2] + 1e-9))
        keep = np.repeat(error <= 2.5 * np.median(error) + 0.5, 2)
        if keep.sum() < 8 or keep.all():
            break
        weight = weight * keep
    a11, a12, tx, a21, a22, ty = params
    stretch = math.copysign(min(abs(a11), abs(a22)), a11) if a11 * a22 > 0 else 0.0
    return float(tx), float(ty), math.log1p(max(stretch, -0.9)), math.atan2(a21 - a12, 2 + a11 + a22), float(residual)


def _median3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The elementwise median of three arrays: what np.median of their stack gives, ten times faster."""
    return np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))


def steady(frames: np.ndarray) -> np.ndarray:
    """Frames 1 … T-2 with what lasts a single frame taken out: each the median of itself and its two
    neighbours. Rain, snow and sparks cross a pixel in a frame and go; the scene, moving a few pixels a
    frame at most under any planned camera move, stays (falling streaks would otherwise read as content
    moving down: a crane down in the rain scored 'the wrong way'). A wider window would smear fast moves."""
    return _median3(frames[:-2], frames[1:-1], frames[2:])


def anchors(count: int, pairs: int = 6) -> tuple[list[int], int, bool]:
    """Where the smooth camera path of a `count`-frame clip is measured: (the frame numbers, `stride` apart,
    between which `pairs` motions are fitted; the stride; whether each is `steady`, a median with its two
    neighbours, which needs 5 frames or more). The stride is big enough for displacements to be measured
    precisely, small enough for tiles to still overlap."""
    steadied = count >= 5
    first, usable = (1, count - 2) if steadied else (0, count)
    stride = max(1, (usable - 1) // pairs)
    starts = range(0, usable - stride, stride)
    return [first + i for i in starts] + [first + starts[-1] + stride], stride, steadied


def path_frames(count: int, pairs: int = 6) -> list[int]:
    """The frame numbers `estimate_motion` needs for the smooth path of a `count`-frame clip (its jitter uses
    whatever frames it is given)."""
    if count < 2:
        return list(range(count))
    centres, _, steadied = anchors(count, pairs)
    return sorted({n + d for n in centres for d in ((-1, 0, 1) if steadied else (0,))})


def estimate_motion(frames: np.ndarray, *, pairs: int = 6, ignore: np.ndarray | None = None,
                    index: np.ndarray | None = None, total: int | None = None) -> MotionEstimate:
    """Camera motion over a TxHxW grayscale clip; `ignore` (TxHxW bool, optional) marks the characters.

    The frames may be a selection of the clip's: `index` gives the frame number of each (in order) and `total`
    the clip's length; they must include `path_frames(total)`. Given every frame, the estimate is the one
    made from every frame.

    The smooth path comes from `pairs` pairs of `steady` frames a stride apart (see `anchors`); the wobble
    comes from the path through the frames given, step by step between successive ones, which for every frame
    is consecutive frames.
    """
    numbers = np.arange(len(frames)) if index is None else np.asarray(index)
    count = len(frames) if total is None else total
    h, w = frames.shape[1:]
    if count < 2:
        return MotionEstimate(x=0, y=0, zoom=0, rotation=0, jitter=0, parallax=0)
    at = {int(n): k for k, n in enumerate(numbers)}
    centres, stride, steadied = anchors(count, pairs)
    missing = sorted(set(path_frames(count, pairs)) - set(at))
    if missing:
        raise ValueError(f"estimate_motion needs frames {missing} of {count}, which were not read")
    if steadied:
        still = [_median3(frames[at[n - 1]], frames[at[n]], frames[at[n + 1]]) for n in centres]
    else:
        still = [frames[at[n]] for n in centres]
    fits = [fit_motion(still[k], still[k + 1], None if ignore is None else ignore[min(at[n], len(ignore) - 1)])
            for k, n in enumerate(centres[:-1])]
    covered = stride * len(fits)
    extrapolate = (count - 1) / covered
    tx = sum(f[0] for f in fits) * extrapolate
    ty = sum(f[1] for f in fits) * extrapolate
    zoom = sum(f[2] for f in fits) * extrapolate
    rotation = math.degrees(sum(f[3] for f in fits) * extrapolate)
    parallax = float(np.mean([f[4] for f in fits])) / w

    spectra = _spectra(frames, _window(h, w))
    dx, dy, _ = _peaks(spectra[:-1], spectra[1:], (h, w))
    jitter = sway(np.stack([dx, dy], axis=1), np.linspace(-1, 1, count)[numbers]) / w
    return MotionEstimate(x=tx / w, y=ty / h, zoom=zoom, rotation=rotation, jitter=jitter, parallax=parallax)


def sway(steps: np.ndarray, at: np.ndarray | None = None) -> float:
    """RMS distance (pixels) of the camera path from a smooth cubic through it: the wobble of a handheld
    camera, which a planned move (even an eased one) does not have. `steps` are the moves from one sample of
    the path to the next; `at` the times of the samples in [-1, 1] (evenly spaced when None: every frame)."""
    path = np.vstack([np.zeros((1, 2)), np.cumsum(steps, axis=0)])
    if len(path) < 5:
        return 0.0
    t = np.linspace(-1, 1, len(path)) if at is None else np.asarray(at, dtype=np.float64)
    basis = np.vander(t, 4)
    fitted = basis @ np.linalg.lstsq(basis, path, rcond=None)[0]
    return float(np.sqrt(((path - fitted) ** 2).sum(axis=1).mean()))


# What a move should do to the picture: (component, sign per unit of direction).
_SIGNATURES: dict[str, tuple[str, int]] = {
    "pan": ("x", -1),  # pan right: content slides left
    "truck": ("x", -1),
    "follow": ("x", -1),  # the camera travels with the subject; the world slides the other way
    "orbit": ("x", +1),  # circling right around the subject: the background behind it slides right
    "tilt": ("y", +1),  # tilt up: content slides down
    "crane": ("y", +1),
    "zoom": ("zoom", +1),
    "dolly_in": ("zoom", +1),
    "dolly_out": ("zoom", -1),
}

# Below these, a clip does not show the move at all (per whole clip).
MIN_SHIFT = 0.03  # fraction of the frame
MIN_ZOOM = 0.04  # log scale, about 4 %
MIN_JITTER = 0.002  # RMS wobble, fraction of width
STATIC_TOLERANCE = 0.02


def expected_signature(kind: str, direction: int = 1) -> tuple[str, int]:
    """The dominant component a move should produce and its sign: ("x", -1) for a pan right,
    ("jitter", 0) for handheld, ("static", 0) for a locked-off camera."""
    if kind == "handheld":
        return "jitter", 0
    if kind not in _SIGNATURES:
        return "static", 0
    component, sign = _SIGNATURES[kind]
    return component, sign * (1 if kind in ("dolly_in", "dolly_out") else direction)


def _components(motion: MotionEstimate) -> dict[str, float]:
    """Each component in units of its own threshold, so a 4 % zoom and a 3 % pan weigh the same."""
    return {"x": motion.x / MIN_SHIFT, "y": motion.y / MIN_SHIFT, "zoom": motion.zoom / MIN_ZOOM}


def dominant_move(motion: MotionEstimate) -> tuple[str, int]:
    """What the clip mostly does, in the vocabulary of `expected_signature`."""
    components = _components(motion)
    name, value = max(components.items(), key=lambda item: abs(item[1]))
    if abs(value) >= 1:
        return name, 1 if value > 0 else -1
    if motion.jitter >= MIN_JITTER:
        return "jitter", 0
    return "static", 0


AS_ASKED = 0.5  # an adherence above this is the move asked for; at or below it the camera check fails


def adherence(motion: MotionEstimate, kind: str, direction: int = 1) -> tuple[float, str]:
    """How well the measured motion matches the requested move, in [0, 1], with a one-line reason."""
    component, sign = expected_signature(kind, direction)
    components = _components(motion)
    if component == "static":
        drift = max(abs(motion.x), abs(motion.y), abs(motion.zoom))
        score = max(0.0, 1 - drift / (2 * STATIC_TOLERANCE))
        return score, f"static shot, camera drift {drift:.1%}"
    if component == "jitter":
        shake = min(1.0, motion.jitter / MIN_JITTER)
        drift = max(abs(components["x"]), abs(components["y"]), abs(components["zoom"]))
        steady = 1.0 if drift < 3 else 3 / drift
        return shake * steady, f"handheld: camera wobbles {motion.jitter:.2%} of the width"
    along = components[component] * sign
    total = math.sqrt(sum(v * v for v in components.values())) + 1e-9
    alignment = max(0.0, along / total)  # cosine between what was asked and what happened
    amount = min(1.0, max(0.0, along))
    verdict = "as asked" if alignment * amount > AS_ASKED else "the wrong way" if along < -1 else \
        "too little" if amount < 1 else "off-axis"
    return alignment * amount, f"{kind} {'+' if direction > 0 else '-'}: {verdict} ({_describe(motion)})"


def _describe(motion: MotionEstimate) -> str:
    return f"content x {motion.x:+.1%}, y {motion.y:+.1%}, scale {math.expm1(motion.zoom):+.1%}"
