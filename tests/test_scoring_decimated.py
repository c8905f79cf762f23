"""Cheap scoring: reading only the frames the scores need, decoded in process, gives the scores of reading every
frame — every part within 0.01, and exactly the same when every frame is read."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from conftest import DEMO
from drama.render import motion
from drama.render.frames import VideoSample, downscale, load_mask, load_video
from drama.render.motion import estimate_motion, fit_motion, phase_correlate
from drama.render.scoring import MAX_SIDE, frames_to_score, score_clip, score_sample
from engine.api import CameraMove, CharacterRef, Placement, RenderRequest, SceneContext
from engine.previz import PrevizEngine
from engine.video import read_frames

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
PORTRAIT = DEMO / "refs" / "shenqing.png"
PERSON = (CharacterRef(name="A", description="a young woman in a white dress", reference_images=(PORTRAIT,),
                       placement=Placement(x=0.45, facing="right")),)
# Varied demo-like shots, small (180x320: read at 90x160, so the block averaging is exercised) and 4 s at 12 fps.
SHOTS = {
    "static MS, living room, a person with a portrait": dict(
        shot_size="MS", camera=CameraMove(kind="static"), characters=PERSON, scene=SceneContext(location="living room")),
    "pan WS, street by day": dict(
        shot_size="WS", camera=CameraMove(kind="pan", direction=1), scene=SceneContext(location="street", interior=False)),
    "dolly in CU, a person in the banquet hall": dict(
        shot_size="CU", camera=CameraMove(kind="dolly_in"), characters=PERSON,
        scene=SceneContext(location="banquet hall", time_of_day="night")),
    "handheld FS, park": dict(
        shot_size="FS", camera=CameraMove(kind="handheld"), characters=PERSON,
        scene=SceneContext(location="park", interior=False)),
    "crane down EWS, bridge at night in the rain": dict(
        shot_size="EWS", camera=CameraMove(kind="crane", direction=-1), prompt="heavy rain",
        scene=SceneContext(location="bridge", interior=False, time_of_day="night")),
}


@pytest.fixture(scope="module")
def draws(tmp_path_factory):
    folder = tmp_path_factory.mktemp("draws")
    out = {}
    for i, (name, fields) in enumerate(SHOTS.items()):
        fields = {"prompt": "", **fields}
        request = RenderRequest(width=180, height=320, fps=12, num_frames=48, seed=20 + i,
                                options={"side_channels": bool(fields.get("characters"))}, **fields)
        out[name] = request, PrevizEngine().render(request, folder / str(i))
    return out


def reference(clip) -> VideoSample:
    """Today's reading: every frame through the ffmpeg pipe, block-averaged by numpy."""
    rgb = np.stack([downscale(frame, MAX_SIDE) for frame in read_frames(clip.video)])
    return VideoSample(rgb @ LUMA, rgb)


def values(score) -> dict[str, float | None]:
    return {**{part.name: part.value for part in score.parts}, "total": score.total}


@pytest.mark.parametrize("shot", SHOTS)
def test_every_part_is_within_a_hundredth_of_reading_every_frame(draws, shot):
    request, clip = draws[shot]
    if request.camera.kind != "handheld":  # a handheld request reads every frame (its wobble needs them)
        assert len(frames_to_score(request.num_frames)) < 0.75 * request.num_frames
    expected = values(score_sample(request, clip, reference(clip)))
    got = values(score_clip(request, clip))
    assert expected.keys() == got.keys()
    assert (expected["likeness"] is not None) == bool(request.characters)  # measured wherever there are masks
    for name, value in expected.items():
        if value is None:
            assert got[name] is None, name
        else:
            assert got[name] == pytest.approx(value, abs=0.01), (name, value, got[name])


@pytest.mark.parametrize("shot", SHOTS)
def test_stride_one_is_the_reference_exactly(draws, shot):
    request, clip = draws[shot]
    ref = reference(clip)
    fast = load_video(clip.video, max_side=MAX_SIDE, select=lambda total: frames_to_score(total, 1))
    assert list(fast.numbers) == list(range(ref.num_frames)) and fast.num_frames == ref.num_frames
    assert np.array_equal(fast.rgb, ref.rgb) and np.array_equal(fast.gray, ref.gray)  # bit for bit
    assert values(score_clip(request, clip, stride=1)) == values(score_sample(request, clip, ref))
    ignore = None
    if clip.masks:
        ignore = today_masks(clip, ref.gray.shape[1:])
        assert np.array_equal(load_mask(clip.masks["A"], ref.gray.shape[1:]), ignore[0])
        ignore = ignore[0] > 0.5
    assert estimate_motion(ref.gray, ignore=ignore) == today_estimate(ref.gray, ignore=ignore)


def test_the_frames_read_hold_what_the_scores_need():
    for total in (1, 2, 4, 5, 22, 48, 81, 213):
        read = frames_to_score(total)
        assert read == sorted(set(read)) and set(read) <= set(range(total))
        assert set(motion.path_frames(total)) <= set(read)
        assert {0, total - 1} <= set(read)  # first and last: the samples span the clip
        assert frames_to_score(total, 1) == list(range(total))
        assert set(read) <= set(frames_to_score(total, 8))


def today_masks(clip, shape) -> list[np.ndarray]:
    """Today's mask reading: the red channel of every frame through the ffmpeg pipe, resized by PIL."""
    size = (shape[1], shape[0])
    return [np.stack([np.asarray(Image.fromarray(frame[..., 0]).resize(size, Image.BILINEAR), dtype=np.float32)
                      for frame in read_frames(path)]) / 255.0 for path in clip.masks.values()]


def today_phase(a: np.ndarray, b: np.ndarray, window: np.ndarray) -> tuple[float, float, float]:
    """Phase correlation of one pair as it was written (now done for a stack of pairs at once)."""
    fa, fb = np.fft.rfft2((a - a.mean()) * window), np.fft.rfft2((b - b.mean()) * window)
    cross = fb * np.conj(fa)
    cross /= np.abs(cross) + 1e-9
    corr = np.fft.irfft2(cross, s=a.shape)
    h, w = corr.shape
    iy, ix = np.unravel_index(int(np.argmax(corr)), corr.shape)

    def sub(c_minus, c0, c_plus):
        denom = c_minus - 2 * c0 + c_plus
        return 0.0 if abs(denom) < 1e-12 else 0.5 * (c_minus - c_plus) / denom

    dy = iy + sub(corr[(iy - 1) % h, ix], corr[iy, ix], corr[(iy + 1) % h, ix])
    dx = ix + sub(corr[iy, (ix - 1) % w], corr[iy, ix], corr[iy, (ix + 1) % w])
    return float(dx - w if dx > w / 2 else dx), float(dy - h if dy > h / 2 else dy), float(corr[iy, ix])


def test_phase_correlation_of_a_stack_is_that_of_each_pair(draws):
    gray = reference(draws["handheld FS, park"][1]).gray
    window = np.outer(np.hanning(gray.shape[1]), np.hanning(gray.shape[2])).astype(np.float32)
    for i in range(0, len(gray) - 1, 5):
        assert phase_correlate(gray[i], gray[i + 1], window) == today_phase(gray[i], gray[i + 1], window)


def today_estimate(frames: np.ndarray, *, pairs: int = 6, ignore: np.ndarray | None = None) -> motion.MotionEstimate:
    """The camera estimate as it was written before cheap scoring: the median of every frame with its
    neighbours, motion fitted `stride` steady frames apart, the wobble from every consecutive pair."""
    count, h, w = frames.shape
    still, first = (np.median(np.stack([frames[:-2], frames[1:-1], frames[2:]]), axis=0), 1) if count >= 5 else (frames, 0)
    stride = max(1, (len(still) - 1) // pairs)
    fits = [fit_motion(still[i], still[i + stride], None if ignore is None else ignore[min(i + first, len(ignore) - 1)])
            for i in range(0, len(still) - stride, stride)]
    extrapolate = (count - 1) / (stride * len(fits))
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    steps = np.array([today_phase(frames[i], frames[i + 1], window)[:2] for i in range(count - 1)])
    path = np.vstack([np.zeros((1, 2)), np.cumsum(steps, axis=0)])
    basis = np.vander(np.linspace(-1, 1, len(path)), 4)
    wobble = float(np.sqrt(((path - basis @ np.linalg.lstsq(basis, path, rcond=None)[0]) ** 2).sum(axis=1).mean()))
    return motion.MotionEstimate(x=sum(f[0] for f in fits) * extrapolate / w, y=sum(f[1] for f in fits) * extrapolate / h,
                                 zoom=sum(f[2] for f in fits) * extrapolate,
                                 rotation=math.degrees(sum(f[3] for f in fits) * extrapolate), jitter=wobble / w,
                                 parallax=float(np.mean([f[4] for f in fits])) / w)
