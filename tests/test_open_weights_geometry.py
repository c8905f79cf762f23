"""Planning sizes, frame counts and retiming for open-weight models: pure functions, no diffusers needed."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from engine.open_weights.geometry import cover, fit_frames, model_size, plan_generation, retime_indices, round_frames


def test_frame_counts_follow_the_model_rule():
    assert [round_frames(n, 4) for n in (1, 2, 5, 6, 80, 81, 82)] == [1, 5, 5, 9, 81, 81, 85]
    assert [round_frames(n, 8) for n in (1, 9, 10, 121, 150)] == [1, 9, 17, 121, 153]


def test_a_vertical_1080p_request_fits_wan_480p():
    plan = plan_generation(1080, 1920, 150, 30.0, multiple=16, frame_step=4, max_area=832 * 480, model_fps=16.0)
    assert (plan.width, plan.height) == (464, 832)  # nearest to 9:16 within Wan's 480p pixel budget
    assert plan.num_frames == 81 and plan.fps == 16.0  # 5 s at 16 fps is 80 frames → 4k+1
    assert (plan.out_width, plan.out_height, plan.out_frames, plan.out_fps) == (1080, 1920, 150, 30.0)


def test_small_requests_are_not_upscaled_and_odd_sides_become_even():
    assert model_size(540, 960, multiple=32, max_area=768 * 512) == (448, 832)
    assert model_size(100, 60, multiple=32, max_area=10**6) == (96, 64)
    plan = plan_generation(101, 61, 10, 24.0, multiple=32, frame_step=8, max_area=10**6, model_fps=None)
    assert (plan.out_width, plan.out_height, plan.fps, plan.num_frames) == (102, 62, 24.0, 17)


@given(
    width=st.integers(16, 4096),
    height=st.integers(16, 4096),
    frames=st.integers(1, 600),
    fps=st.sampled_from([8.0, 16.0, 24.0, 25.0, 30.0, 60.0]),
    model_fps=st.sampled_from([8.0, 16.0, 24.0]),
    step=st.sampled_from([4, 8]),
)
def test_the_plan_always_covers_the_shot(width, height, frames, fps, model_fps, step):
    plan = plan_generation(width, height, frames, fps, multiple=16, frame_step=step, max_area=832 * 480, model_fps=model_fps)
    assert plan.width % 16 == 0 and plan.height % 16 == 0
    assert plan.width * plan.height <= max(832 * 480, width * height) or plan.width * plan.height == 16 * 16
    assert (plan.num_frames - 1) % step == 0
    picks = retime_indices(plan.num_frames, plan.fps, plan.out_frames, plan.out_fps)
    assert len(picks) == frames and picks == sorted(picks) and picks[-1] < plan.num_frames
    # the last output frame comes from the right moment: within half a model frame
    assert abs(picks[-1] / plan.fps - (frames - 1) / fps) <= 0.5 / plan.fps + 1e-9


def test_cover_crops_to_the_aspect_without_stretching():
    image = Image.new("RGB", (160, 90), (0, 0, 0))
    image.paste((255, 255, 255), (70, 0, 90, 90))  # a white bar in the middle
    out = cover(image, 45, 80)
    assert out.size == (45, 80)
    middle = np.asarray(out)[40]
    assert middle[22].min() > 200 and middle[0].max() < 30  # centre kept, sides cropped


def test_fit_frames_retimes_and_resizes():
    plan = plan_generation(18, 32, 12, 30.0, multiple=16, frame_step=4, max_area=10**6, model_fps=16.0)
    generated = np.stack([np.full((plan.height, plan.width, 3), i / 10, dtype=np.float32) for i in range(plan.num_frames)])
    out = fit_frames(generated, plan)
    assert len(out) == 12 and out[0].shape == (32, 18, 3) and out[0].dtype == np.uint8
    levels = [int(frame[0, 0, 0]) for frame in out]
    expected = [i / 10 * 255 for i in retime_indices(plan.num_frames, 16.0, 12, 30.0)]
    assert np.allclose(levels, expected, atol=0.51)
